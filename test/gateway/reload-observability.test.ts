import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { Redis } from "ioredis";
import { GatewayHost } from "../../src/gateway/gateway-host.js";
import { loadConfigFile } from "../../src/gateway/load-config.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { silentLogger } from "../../src/observability/logger.js";
import type { DashboardSnapshot } from "../../src/observability/dashboard/dashboard-snapshot.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";
import { startRedis } from "../helpers/redis-server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Hot reload with the observers and connections main gained meanwhile: the
 * access log and tracer are opened once per host (changing them is refused),
 * the admin listener's dashboard keeps its figures across a reload, and a
 * config's Redis connection closes with that config.
 */
type Config = Record<string, unknown>;

async function startHost(config: Config): Promise<{ host: GatewayHost; write(config: Config): void; folder: string }> {
  const folder = mkdtempSync(join(tmpdir(), "rosetta-reload-observe-"));
  const file = join(folder, "gateway.json");
  const write = (next: Config) => writeFileSync(file, JSON.stringify(next));
  write(config);
  const plugins = builtinPlugins();
  const host = await GatewayHost.start({ load: () => loadConfigFile(file, plugins), plugins, logger: silentLogger });
  return { host, write, folder };
}

function webPort(host: GatewayHost): number {
  return host
    .listeners()
    .find((listener) => listener.name === "web")!
    .address().port;
}

async function get(port: number, path: string): Promise<number> {
  const response = await request(`http://127.0.0.1:${port}${path}`);
  await response.body.text();
  return response.statusCode;
}

async function postReload(host: GatewayHost): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request(`http://127.0.0.1:${host.admin!.address().port}/reload`, { method: "POST" });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

function config(upstream: TestUpstream, paths: string[], extra: Config = {}): Config {
  return {
    admin: { host: "127.0.0.1", port: 0 },
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }],
    services: { echo: { protocol: "http", targets: [upstream.origin] } },
    routes: paths.map((path) => ({ id: path.slice(1), match: { path }, upstream: { service: "echo" } })),
    shutdown: { timeout: "2s" },
    ...extra,
  };
}

function logLines(file: string): { route?: string; status?: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { route?: string; status?: number });
}

test("the access log is opened once for every generation; the dashboard's figures carry on across a reload", async () => {
  const upstream = await startUpstream();
  const signalsBefore = process.listenerCount("SIGUSR2");
  const folder = mkdtempSync(join(tmpdir(), "rosetta-reload-log-"));
  const log = join(folder, "access.log");
  const { host, write } = await startHost(config(upstream, ["/a"], { accessLog: { to: log } }));
  try {
    assert.is(process.listenerCount("SIGUSR2"), signalsBefore + 1, "one SIGUSR2 hook for the one log file");
    const port = webPort(host);
    assert.is(await get(port, "/a"), 200);
    write(config(upstream, ["/a", "/b"], { accessLog: { to: log } }));
    for (let reload = 0; reload < 3; reload++) assert.is((await postReload(host)).status, 200);
    assert.is(process.listenerCount("SIGUSR2"), signalsBefore + 1, "a reload opens no second log");
    assert.is(await get(port, "/a"), 200);
    assert.is(await get(port, "/b"), 200);
    await waitFor(() => logLines(log).length >= 3, "three access log lines", 10_000);
    assert.equal(
      logLines(log).map((line) => line.route),
      ["a", "a", "b"],
      "one line per request, before and after the reloads, no duplicates",
    );

    // The dashboard counts complete seconds: poll until the second of the last request is over.
    const admin = host.admin!.address().port;
    let routes: DashboardSnapshot["routes"] = [];
    const counted = async () => {
      const snapshot = await request(`http://127.0.0.1:${admin}/dashboard/snapshot`);
      routes = ((await snapshot.body.json()) as DashboardSnapshot).routes;
      return routes.find((route) => route.id === "b")?.requests === 1;
    };
    await waitFor(counted, "the dashboard to count route b", 10_000).catch(() => undefined);
    const requests = new Map(routes.map((route) => [route.id, route.requests]));
    assert.is(requests.get("a"), 2, `route a counted before and after the reloads: ${JSON.stringify(routes)}`);
    assert.is(requests.get("b"), 1);
  } finally {
    await host.stop(0);
    await upstream.close();
  }
  assert.is(process.listenerCount("SIGUSR2"), signalsBefore, "stop closes the log");
});

test("a reload that changes accessLog or tracing is refused with ROSETTA_ERR_RELOAD; the old config keeps serving", async () => {
  const upstream = await startUpstream();
  const { host, write, folder } = await startHost(config(upstream, ["/a"]));
  try {
    write(config(upstream, ["/a", "/b"], { accessLog: { to: join(folder, "access.log") }, tracing: { otlp: "http://127.0.0.1:9/v1/traces" } }));
    const refused = await postReload(host);
    assert.is(refused.status, 422, JSON.stringify(refused.body));
    const problems = refused.body.problems as { code: string; path: string }[];
    assert.equal(problems.map((problem) => `${problem.code} ${problem.path}`).sort(), ["ROSETTA_ERR_RELOAD accessLog", "ROSETTA_ERR_RELOAD tracing"]);
    assert.not.ok(existsSync(join(folder, "access.log")), "the refused config opened no log");
    assert.is(await get(webPort(host), "/b"), 404);
    assert.is(await get(webPort(host), "/a"), 200);
  } finally {
    await host.stop(0);
    await upstream.close();
  }
});

test("the retired config's Redis connection is closed once its calls are done", async () => {
  const upstream = await startUpstream();
  const redis = await startRedis();
  const observer = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  // Clients connected to the server other than this test's own.
  const others = async () =>
    String(await observer.call("CLIENT", "LIST"))
      .trim()
      .split("\n").length - 1;
  const limited = (paths: string[]): Config => ({
    ...config(upstream, paths),
    redis: { url: redis.url, keyPrefix: "reload:" },
    filters: [{ "rate-limit": { store: "redis", key: "ip", rate: 1000, per: "1s", burst: 1000 } }],
  });
  let host: GatewayHost | undefined;
  try {
    const started = await startHost(limited(["/a"]));
    host = started.host;
    const { write } = started;
    const port = webPort(host);
    assert.is(await get(port, "/a"), 200);
    await waitFor(async () => (await others()) === 1, "the gateway's Redis connection", 10_000);
    write(limited(["/a", "/b"]));
    assert.is((await postReload(host)).status, 200);
    assert.is(await get(port, "/b"), 200);
    // The new config has connected; the old one's connection goes with the old config.
    await waitFor(async () => (await others()) === 1, "one gateway connection left after the reload", 10_000);
    assert.is(await get(port, "/a"), 200);
  } finally {
    await host?.stop(0);
    observer.disconnect();
    await redis.kill();
    await upstream.close();
  }
});

test.run();
