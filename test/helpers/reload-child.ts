// Run as a child process by test/gateway/reload-cli.test.ts: a host that serves, reloads (listeners
// added and removed), stops, and must then exit by itself — any handle left open keeps it alive.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { GatewayHost } from "../../src/gateway/gateway-host.js";
import { loadConfigFile } from "../../src/gateway/load-config.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { silentLogger } from "../../src/observability/logger.js";
import { tcpClient, wsClient } from "./frame-clients.js";
import { startUpstream } from "./upstream.js";

const upstream = await startUpstream();
const file = join(mkdtempSync(join(tmpdir(), "rosetta-reload-child-")), "gateway.json");
const config = (extra: boolean) => ({
  admin: { host: "127.0.0.1", port: 0 },
  listeners: [
    { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
    { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0 },
    ...(extra ? [{ name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0 }] : []),
  ],
  services: { echo: { protocol: "http", targets: [upstream.origin] } },
  routes: [{ id: "a", match: { path: "/a" }, upstream: { service: "echo" } }],
});
writeFileSync(file, JSON.stringify(config(false)));
const plugins = builtinPlugins();
const host = await GatewayHost.start({ load: () => loadConfigFile(file, plugins), plugins, logger: silentLogger });
const web = host.listeners()[0]!.address().port;
const ws = await wsClient(`ws://127.0.0.1:${host.listeners()[1]!.address().port}/`);
for (let round = 0; round < 6; round++) {
  writeFileSync(file, JSON.stringify(config(round % 2 === 0)));
  const result = await host.reload();
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  await (await request(`http://127.0.0.1:${web}/a`)).body.text();
  await ws.call({ id: String(round), method: "GET", path: "/a" });
  const tcp = host.listeners().find((listener) => listener.name === "tcp");
  if (tcp !== undefined) {
    const client = await tcpClient(tcp.address().port);
    await client.call({ id: "t", method: "GET", path: "/a" });
    client.close();
  }
}
await ws.close();
await host.stop(1000);
await upstream.close();
process.stdout.write("stopped\n");
