import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { GatewayHost } from "../../src/gateway/gateway-host.js";
import { loadConfigFile } from "../../src/gateway/load-config.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { silentLogger } from "../../src/observability/logger.js";
import { tcpClient, wsClient } from "../helpers/frame-clients.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";

type Config = Record<string, unknown>;

/** A host reading a real config file, as `rosetta start -c` does. */
async function startHost(config: Config): Promise<{ host: GatewayHost; write(config: Config): void; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-reload-")), "gateway.json");
  const write = (next: Config) => writeFileSync(file, JSON.stringify(next));
  write(config);
  const plugins = builtinPlugins();
  const host = await GatewayHost.start({ load: () => loadConfigFile(file, plugins), plugins, logger: silentLogger });
  return { host, write, file };
}

function portOf(host: GatewayHost, name: string): number {
  const listener = host.listeners().find((candidate) => candidate.name === name);
  if (listener === undefined) throw new Error(`no listener ${name}`);
  return listener.address().port;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await request(`http://127.0.0.1:${port}${path}`);
  return { status: response.statusCode, body: await response.body.text() };
}

async function postReload(host: GatewayHost): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request(`http://127.0.0.1:${host.admin!.address().port}/reload`, { method: "POST" });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function baseConfig(upstream: TestUpstream, routes: Config[], listeners: Config[] = []): Config {
  return {
    admin: { host: "127.0.0.1", port: 0 },
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }, ...listeners],
    services: { echo: { protocol: "http", targets: [upstream.origin] } },
    routes,
    shutdown: { timeout: "2s" },
  };
}

test("POST /reload: a route added takes effect, then removed stops matching; same port throughout", async () => {
  const upstream = await startUpstream();
  const one = [{ id: "a", match: { path: "/a" }, upstream: { service: "echo" } }];
  const two = [...one, { id: "b", match: { path: "/b" }, upstream: { service: "echo" } }];
  const { host, write } = await startHost(baseConfig(upstream, one));
  try {
    const port = portOf(host, "web");
    assert.is((await get(port, "/b")).status, 404);
    write(baseConfig(upstream, two));
    const reloaded = await postReload(host);
    assert.is(reloaded.status, 200, JSON.stringify(reloaded.body));
    assert.is(reloaded.body.generation, 2);
    assert.equal(reloaded.body.listeners, { opened: [], closed: [], reopened: [], kept: ["web"] });
    assert.is(portOf(host, "web"), port);
    assert.is((await get(port, "/b")).status, 200);
    write(baseConfig(upstream, one));
    assert.is((await postReload(host)).status, 200);
    assert.is((await get(port, "/b")).status, 404);
    assert.is((await get(port, "/a")).status, 200);
  } finally {
    await host.stop(1000);
    await upstream.close();
  }
});

test("an invalid config is refused with its problems (422) and the old one keeps serving", async () => {
  const upstream = await startUpstream();
  const routes = [{ id: "a", match: { path: "/a" }, upstream: { service: "echo" } }];
  const { host, write } = await startHost(baseConfig(upstream, routes));
  try {
    const port = portOf(host, "web");
    write({ ...baseConfig(upstream, [{ id: "a", match: { path: "/a" }, upstream: { service: "nowhere" } }]) });
    const refused = await postReload(host);
    assert.is(refused.status, 422);
    assert.is(refused.body.status, "refused");
    assert.match(JSON.stringify(refused.body.problems), /ROSETTA_ERR_REFERENCE/);
    assert.match(JSON.stringify(refused.body.problems), /nowhere/);
    assert.is((await get(port, "/a")).status, 200);
    // A proto that cannot load is refused too: the new config is built whole before the swap.
    write({
      ...baseConfig(upstream, routes),
      services: { echo: { protocol: "http", targets: [upstream.origin] }, g: { protocol: "grpc", targets: ["127.0.0.1:1"], protos: ["missing.proto"] } },
    });
    const badProto = await postReload(host);
    assert.is(badProto.status, 422, JSON.stringify(badProto.body));
    write({ ...baseConfig(upstream, routes), admin: { host: "127.0.0.1", port: 1 } });
    const restartOnly = await postReload(host);
    assert.is(restartOnly.status, 422);
    assert.match(JSON.stringify(restartOnly.body.problems), /ROSETTA_ERR_RELOAD/);
    write({ not: "a config" });
    assert.is((await postReload(host)).status, 422);
    assert.is((await get(port, "/a")).status, 200);
    assert.is(host.gateway.routes().length, 1);
  } finally {
    await host.stop(1000);
    await upstream.close();
  }
});

test("listeners added, changed (same port) and removed are opened, reopened and closed", async () => {
  const upstream = await startUpstream();
  const routes = [{ id: "a", match: { path: "/a" }, upstream: { service: "echo" } }];
  const { host, write } = await startHost(baseConfig(upstream, routes));
  try {
    const extraPort = await freePort();
    write(baseConfig(upstream, routes, [{ name: "extra", protocol: "http", host: "127.0.0.1", port: extraPort }]));
    const added = await postReload(host);
    assert.equal((added.body.listeners as Record<string, unknown>).opened, ["extra"]);
    assert.is((await get(extraPort, "/a")).status, 200);
    write(baseConfig(upstream, routes, [{ name: "extra", protocol: "http", host: "127.0.0.1", port: extraPort, maxHeaderBytes: "8KiB" }]));
    const changed = await postReload(host);
    assert.equal((changed.body.listeners as Record<string, unknown>).reopened, ["extra"], JSON.stringify(changed.body));
    assert.is((await get(extraPort, "/a")).status, 200);
    write(baseConfig(upstream, routes));
    const removed = await postReload(host);
    assert.equal((removed.body.listeners as Record<string, unknown>).closed, ["extra"]);
    const refused = await get(extraPort, "/a").then(
      () => false,
      () => true,
    );
    assert.ok(refused, "the removed listener still accepts connections");
    // A listener whose port is taken refuses the whole reload; nothing changes.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as AddressInfo).port;
    write(baseConfig(upstream, [], [{ name: "taken", protocol: "http", host: "127.0.0.1", port: taken }]));
    const blocked = await postReload(host);
    blocker.close();
    assert.is(blocked.status, 422);
    assert.match(JSON.stringify(blocked.body.problems), /ROSETTA_ERR_LISTEN/);
    assert.is((await get(portOf(host, "web"), "/a")).status, 200);
  } finally {
    await host.stop(1000);
    await upstream.close();
  }
});

test("reloads asked while one runs are queued into one more", async () => {
  const upstream = await startUpstream();
  const { host } = await startHost(baseConfig(upstream, []));
  try {
    const results = await Promise.all([host.reload(), host.reload(), host.reload(), host.reload()]);
    const generations = results.map((result) => (result.ok ? result.summary.generation : -1));
    assert.equal(generations, [2, 3, 3, 3]);
  } finally {
    await host.stop(1000);
    await upstream.close();
  }
});

test("steady HTTP load and open WebSocket and TCP sessions across 10 reloads: no request lost, no session reset", async () => {
  // The upstream is slow enough that reloads land while calls are in flight.
  const upstream = await startUpstream((_req, res) => setTimeout(() => res.writeHead(200, { "content-length": 2 }).end("ok"), 5));
  const a = { id: "a", match: { path: "/a" }, upstream: { service: "echo" } };
  const b = { id: "b", match: { path: "/b" }, upstream: { service: "echo" } };
  const frames = [
    { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0 },
    { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0 },
  ];
  const { host, write } = await startHost(baseConfig(upstream, [a], frames));
  const ws = await wsClient(`ws://127.0.0.1:${portOf(host, "ws")}/`);
  const tcp = await tcpClient(portOf(host, "tcp"));
  const counts = { ok: 0, failed: [] as string[], ws: 0, tcp: 0 };
  let running = true;
  const port = portOf(host, "web");
  const worker = async (index: number) => {
    for (let call = 0; running && call < 100_000; call++) {
      try {
        const { status } = await get(port, "/a");
        if (status === 200) counts.ok++;
        else counts.failed.push(`http ${status}`);
      } catch (error) {
        counts.failed.push(`http ${(error as Error).message}`);
      }
      const frame = await (index === 0 ? ws : tcp).call({ id: `${index}-${call}`, method: "GET", path: "/a" }).catch((error: Error) => [{ status: error.message }]);
      const status = frame.at(-1)?.status;
      if (status === 200) counts[index === 0 ? "ws" : "tcp"]++;
      else counts.failed.push(`frame ${status}`);
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(worker));
  try {
    for (let reload = 0; reload < 10; reload++) {
      write(baseConfig(upstream, reload % 2 === 0 ? [a, b] : [a], frames));
      const result = await host.reload();
      assert.ok(result.ok, JSON.stringify(result));
    }
    running = false;
    await load;
    assert.equal(counts.failed, []);
    assert.ok(counts.ok > 0 && counts.ws > 0 && counts.tcp > 0, JSON.stringify(counts));
    // The same sessions still work after the last reload.
    assert.is((await ws.call({ id: "after", method: "GET", path: "/a" })).at(-1)!.status, 200);
    assert.is((await tcp.call({ id: "after", method: "GET", path: "/a" })).at(-1)!.status, 200);
  } finally {
    running = false;
    await load.catch(() => undefined);
    await ws.close();
    tcp.close();
    await host.stop(1000);
    await upstream.close();
  }
});

test.run();
