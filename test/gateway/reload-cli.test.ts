import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { startUpstream } from "../helpers/upstream.js";
import { waitFor } from "../helpers/wait.js";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));
const child = fileURLToPath(new URL("../helpers/reload-child.js", import.meta.url));

/** `rosetta start -c FILE` as a child process, its log lines collected. */
function startCli(file: string, extra: string[] = []) {
  const process_ = spawn(process.execPath, [bin, "start", "-c", file, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  process_.stdout.on("data", (chunk) => (output += chunk));
  process_.stderr.on("data", (chunk) => (output += chunk));
  const done = new Promise<number | null>((resolve) => process_.on("close", (code) => resolve(code)));
  return { process: process_, output: () => output, done, count: (text: string) => output.split(text).length - 1 };
}

function yamlConfig(upstream: string, port: number, routes: string[]): string {
  return `listeners: [ { name: web, protocol: http, host: 127.0.0.1, port: ${port} } ]
services: { echo: { protocol: http, targets: ["${upstream}"] } }
routes:
${routes.map((path) => `  - { id: r${path.slice(1)}, match: { path: ${path} }, upstream: { service: echo } }`).join("\n")}
`;
}

async function statusOf(port: number, path: string): Promise<number> {
  const response = await request(`http://127.0.0.1:${port}${path}`);
  await response.body.text();
  return response.statusCode;
}

async function portFromLog(cli: ReturnType<typeof startCli>): Promise<number> {
  // "ready" comes once SIGHUP and the file watch are in place.
  await waitFor(() => /"msg":"ready"/.test(cli.output()), "the gateway to be ready", 20_000);
  return Number(/"port":(\d+),"msg":"listening"/.exec(cli.output())![1]);
}

test("rosetta start: SIGHUP reloads the config (route added), a bad config is refused and the old keeps serving", async () => {
  const upstream = await startUpstream();
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-sighup-")), "gateway.yaml");
  writeFileSync(file, yamlConfig(upstream.origin, 0, ["/a"]));
  // --no-watch: only the signal can have reloaded it.
  const cli = startCli(file, ["--no-watch"]);
  try {
    const port = await portFromLog(cli);
    assert.is(await statusOf(port, "/b"), 404);
    writeFileSync(file, yamlConfig(upstream.origin, port, ["/a", "/b"]));
    cli.process.kill("SIGHUP");
    await waitFor(() => cli.count('"msg":"config reloaded"') === 1, "the reload", 20_000);
    assert.is(await statusOf(port, "/b"), 200);
    writeFileSync(file, `${yamlConfig(upstream.origin, port, ["/a"])}  - { id: x, upstream: { service: nowhere } }\n`);
    cli.process.kill("SIGHUP");
    await waitFor(() => cli.output().includes("reload refused"), "the refusal", 20_000);
    await waitFor(() => cli.output().includes("nowhere"), "the problem logged", 5000).catch(() => assert.unreachable(cli.output()));
    assert.match(cli.output(), /nowhere/);
    assert.is(await statusOf(port, "/b"), 200);
    assert.is(cli.process.exitCode, null, "still running");
  } finally {
    cli.process.kill("SIGTERM");
    assert.is(await cli.done, 0);
    await upstream.close();
  }
});

test("rosetta start: a changed file reloads, written in place or renamed over (as editors do)", async () => {
  const upstream = await startUpstream();
  const folder = mkdtempSync(join(tmpdir(), "rosetta-watch-"));
  const file = join(folder, "gateway.yaml");
  writeFileSync(file, yamlConfig(upstream.origin, 0, ["/a"]));
  const cli = startCli(file);
  try {
    const port = await portFromLog(cli);
    writeFileSync(file, yamlConfig(upstream.origin, port, ["/a", "/b"]));
    await waitFor(() => cli.count('"msg":"config reloaded"') === 1, "the reload after an in-place write", 20_000);
    assert.is(await statusOf(port, "/b"), 200);
    const temporary = join(folder, ".gateway.yaml.tmp");
    writeFileSync(temporary, yamlConfig(upstream.origin, port, ["/a", "/c"]));
    renameSync(temporary, file);
    await waitFor(() => cli.count('"msg":"config reloaded"') === 2, "the reload after a rename over the file", 20_000);
    assert.is(await statusOf(port, "/c"), 200);
    assert.is(await statusOf(port, "/b"), 404);
  } finally {
    cli.process.kill("SIGTERM");
    assert.is(await cli.done, 0);
    await upstream.close();
  }
});

test("no handle leaks: after reloads (listeners added and removed) and stop, the process exits by itself", async () => {
  const run = spawn(process.execPath, [child], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  run.stdout.on("data", (chunk) => (output += chunk));
  run.stderr.on("data", (chunk) => (output += chunk));
  const timer = setTimeout(() => run.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((resolve) => run.on("close", (exit) => resolve(exit)));
  clearTimeout(timer);
  assert.is(code, 0, `the child did not exit by itself: ${output}`);
  assert.match(output, /stopped/);
});

test.run();
