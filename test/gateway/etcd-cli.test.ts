import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { startEtcd } from "../helpers/etcd-server.js";
import { freePort } from "../helpers/redis-server.js";
import { startUpstream } from "../helpers/upstream.js";
import { waitFor } from "../helpers/wait.js";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));

function startCli(file: string) {
  const child = spawn(process.execPath, [bin, "start", "-c", file], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output: () => output, done };
}

function yamlConfig(upstream: string, port: number, routes: string[], extra = ""): string {
  return `listeners: [ { name: web, protocol: http, host: 127.0.0.1, port: ${port} } ]
services: { echo: { protocol: http, targets: ["${upstream}"] } }
routes:
${routes.map((path) => `  - { id: r${path.slice(1)}, match: { path: ${path} }, upstream: { service: echo } }`).join("\n")}
${extra}`;
}

async function statusOf(port: number, path: string): Promise<number> {
  try {
    const response = await request(`http://127.0.0.1:${port}${path}`, { reset: true });
    await response.body.text();
    return response.statusCode;
  } catch {
    return 0;
  }
}

/** Every one of `tries` fresh connections (round-robin over workers) answers `status`. */
async function allAnswer(port: number, path: string, status: number, tries = 6): Promise<boolean> {
  for (let i = 0; i < tries; i++) if ((await statusOf(port, path)) !== status) return false;
  return true;
}

test("rosetta start -c with configSource: one process and a supervisor of two workers both follow the key", async () => {
  const etcd = await startEtcd();
  const upstream = await startUpstream();
  const folder = mkdtempSync(join(tmpdir(), "rosetta-etcd-cli-"));
  const single = await freePort();
  const grouped = await freePort();
  const files = ["single", "workers"].map((name) => {
    const file = join(folder, `${name}.yaml`);
    writeFileSync(file, `configSource: { etcd: { endpoints: [ "${etcd.endpoint}" ], key: /fleet/${name} } }\n`);
    return file;
  });
  await etcd.put("/fleet/single", yamlConfig(upstream.origin, single, ["/a"]));
  await etcd.put("/fleet/workers", yamlConfig(upstream.origin, grouped, ["/a"], "workers: 2\n"));
  const clis = files.map(startCli);
  try {
    await waitFor(() => /"msg":"ready"/.test(clis[0]!.output()), "the single process to be ready", 30_000);
    assert.match(clis[0]!.output(), /"reloadOn":\["etcd change"/);
    // Both workers listening (cluster hands connections only to workers that listen, so probing alone could pass on one).
    const listening = (worker: number) =>
      clis[1]!
        .output()
        .split("\n")
        .some((line) => line.includes(`"worker":${worker}`) && line.includes('"msg":"listening"'));
    await waitFor(() => listening(1) && listening(2), "both workers to listen", 30_000);
    await waitFor(() => allAnswer(grouped, "/a", 200), "both workers to serve", 30_000);
    assert.is(await statusOf(single, "/b"), 404);
    await etcd.put("/fleet/single", yamlConfig(upstream.origin, single, ["/a", "/b"]));
    await etcd.put("/fleet/workers", yamlConfig(upstream.origin, grouped, ["/a", "/b"], "workers: 2\n"));
    await waitFor(() => allAnswer(single, "/b", 200, 1), "the single process to serve /b", 30_000);
    await waitFor(() => allAnswer(grouped, "/b", 200), "every worker to serve /b", 30_000);
    assert.match(clis[1]!.output(), /"why":"etcd key \/fleet\/workers changed"[^\n]*"msg":"forwarding SIGHUP to the workers"/);
  } finally {
    for (const cli of clis) cli.child.kill("SIGTERM");
    const codes = await Promise.all(clis.map((cli) => cli.done));
    await upstream.close();
    await etcd.close();
    assert.equal(codes, [0, 0], clis.map((cli) => cli.output().slice(-1500)).join("\n---\n"));
  }
});

test.run();
