import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { GatewayHost, type ReloadResult } from "../../src/gateway/gateway-host.js";
import { loadConfigFile } from "../../src/gateway/load-config.js";
import { watchConfigSource } from "../../src/gateway/config-watcher.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { ConfigError, formatProblem } from "../../src/options/error-codes.js";
import { silentLogger } from "../../src/observability/logger.js";
import { startEtcd, type TestEtcd } from "../helpers/etcd-server.js";
import { freePort } from "../helpers/redis-server.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";
import { waitFor } from "../helpers/wait.js";

const key = "/rosetta/gateway";

function sourceFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-etcd-config-")), "gateway.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** The fleet's config as YAML: one route per path given. Port 0: each instance binds its own. */
function fleetConfig(upstream: TestUpstream, paths: string[]): string {
  const routes = paths.map((path) => `  - { id: "r${path.slice(1)}", match: { path: "${path}" }, upstream: { service: echo } }`).join("\n");
  return `listeners:\n  - { name: web, protocol: http, host: 127.0.0.1, port: 0 }\nservices:\n  echo: { protocol: http, targets: ["${upstream.origin}"] }\nroutes:\n${routes}\nshutdown: { timeout: 1s }\n`;
}

/** One instance of the fleet, wired as `rosetta start -c` wires it: the etcd watch calls reload. */
async function startInstance(file: string): Promise<{ host: GatewayHost; reloads: Promise<ReloadResult>[]; close(): Promise<void> }> {
  const plugins = builtinPlugins();
  const first = await loadConfigFile(file, plugins);
  const host = await GatewayHost.start({ load: () => loadConfigFile(file, plugins), plugins, logger: silentLogger });
  const reloads: Promise<ReloadResult>[] = [];
  const watcher = watchConfigSource(file, first, () => reloads.push(host.reload()), silentLogger);
  assert.is(watcher.trigger, "etcd change");
  return {
    host,
    reloads,
    async close() {
      watcher.close();
      await host.stop(1000);
    },
  };
}

async function status(host: GatewayHost, path: string): Promise<number> {
  const port = host.listeners()[0]!.address().port;
  const response = await request(`http://127.0.0.1:${port}${path}`);
  await response.body.dump();
  return response.statusCode;
}

/** Waits for the instance's next reload (past `seen`) and returns its result. */
async function nextReload(instance: { reloads: Promise<ReloadResult>[] }, seen: number, timeoutMs = 30_000): Promise<ReloadResult> {
  await waitFor(() => instance.reloads.length > seen, "a reload triggered by the etcd watch", timeoutMs);
  return instance.reloads.at(-1)!;
}

test("a fleet of two gateways follows one etcd key: changes, refusals and an etcd outage", async () => {
  const etcd: TestEtcd = await startEtcd();
  const upstream = await startUpstream();
  const file = sourceFile({ configSource: { etcd: { endpoints: [etcd.endpoint], key } } });
  await etcd.put(key, fleetConfig(upstream, ["/a"]));
  const a = await startInstance(file);
  const b = await startInstance(file);
  try {
    for (const instance of [a, b]) {
      assert.is(await status(instance.host, "/a"), 200);
      assert.is(await status(instance.host, "/b"), 404);
    }
    // A change of the key: both instances reload and serve the new route.
    let seen = [a.reloads.length, b.reloads.length];
    await etcd.put(key, fleetConfig(upstream, ["/a", "/b"]));
    for (const [index, instance] of [a, b].entries()) {
      const result = await nextReload(instance, seen[index]!);
      assert.ok(result.ok, JSON.stringify(result));
      assert.is(await status(instance.host, "/b"), 200);
    }
    // An invalid config: both refuse it, located in the key, and keep serving the last good one.
    seen = [a.reloads.length, b.reloads.length];
    await etcd.put(key, `${fleetConfig(upstream, ["/a", "/b"])}routez: []\n`);
    for (const [index, instance] of [a, b].entries()) {
      const result = await nextReload(instance, seen[index]!);
      assert.not.ok(result.ok);
      if (!result.ok) assert.match(result.problems.map(formatProblem).join("\n"), /etcd:\/rosetta\/gateway:\d+:\d+: routez/);
      assert.is(await status(instance.host, "/b"), 200);
    }
    // etcd goes away: the gateways keep serving, and pick up a change once it is back.
    await etcd.stop();
    for (const instance of [a, b]) assert.is(await status(instance.host, "/a"), 200);
    await etcd.start();
    seen = [a.reloads.length, b.reloads.length];
    await etcd.put(key, fleetConfig(upstream, ["/a", "/c"]));
    for (const [index, instance] of [a, b].entries()) {
      await waitFor(async () => instance.reloads.length > seen[index]! && (await instance.reloads.at(-1)!).ok, "a good reload after etcd came back", 60_000);
      assert.is(await status(instance.host, "/c"), 200);
      assert.is(await status(instance.host, "/b"), 404);
    }
  } finally {
    await a.close();
    await b.close();
    await upstream.close();
    await etcd.close();
  }
});

async function problemsOf(file: string): Promise<string> {
  try {
    await loadConfigFile(file, builtinPlugins());
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem).join("\n");
    throw error;
  }
  throw new Error("the config loaded");
}

test("configSource: the file holds nothing else, and its options are validated with paths", async () => {
  const text = await problemsOf(sourceFile({ configSource: { etcd: { endpoints: ["ftp://x"], key } }, listeners: [] }));
  assert.match(text, /gateway\.json:1:\d+: listeners: a file with configSource holds nothing else/);
  assert.match(text, /configSource\.etcd\.endpoints\[0\]: .*etcd client URL/);
  assert.match(await problemsOf(sourceFile({ configSource: { etcd: { endpoints: ["http://127.0.0.1:1"] } } })), /configSource\.etcd\.key/);
});

test("an unreachable etcd and a missing key are errors naming the endpoint and the key", async () => {
  const port = await freePort();
  const unreachable = await problemsOf(sourceFile({ configSource: { etcd: { endpoints: [`http://127.0.0.1:${port}`], key, timeout: "2s" } } }));
  assert.match(unreachable, new RegExp(`cannot read the etcd key /rosetta/gateway: http://127.0.0.1:${port}: ECONNREFUSED`));
  const etcd = await startEtcd();
  try {
    // The first endpoint is down: the next one is tried.
    const file = sourceFile({ configSource: { etcd: { endpoints: [`http://127.0.0.1:${port}`, etcd.endpoint], key: "/nothing/here" } } });
    assert.match(await problemsOf(file), new RegExp(`etcd:/nothing/here: the etcd key /nothing/here does not exist \\(read from ${etcd.endpoint}\\)`));
    await etcd.put("/nothing/here", "listeners: [ { protocol: http, port: 0 ");
    assert.match(await problemsOf(file), /etcd:\/nothing\/here:1:\d+: /);
  } finally {
    await etcd.close();
  }
});

test.run();
