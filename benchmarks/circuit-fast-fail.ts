import { createServer } from "node:http";
import { once } from "node:events";
import { Pool } from "undici";
import { validateGatewayConfig } from "../src/gateway/gateway-config.js";
import { Gateway } from "../src/gateway/gateway.js";
import { builtinPlugins } from "../src/gateway/plugins.js";
import { silentLogger } from "../src/observability/logger.js";

/**
 * How fast an open circuit answers: a node:http upstream that answers 503
 * opens the service's circuit, then `count` sequential GETs over one
 * keep-alive connection are timed end to end (caller → Rosetta → 503), with
 * the same loop against a healthy route for comparison, and the upstream's
 * request count checked to stay put. Run: `npm run build && node dist/benchmarks/circuit-fast-fail.js [count]`.
 */
const count = Number(process.argv[2] ?? 5000);

const upstream = createServer((req, res) => res.writeHead(req.url?.startsWith("/ok") ? 200 : 503, { "content-length": "2" }).end("ok"));
let received = 0;
upstream.on("request", () => received++);
upstream.listen(0, "127.0.0.1");
await once(upstream, "listening");
const origin = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;

const plugins = builtinPlugins();
const config = {
  listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }],
  services: {
    failing: { protocol: "http", targets: [origin], circuitBreaker: { consecutiveFailures: 5, openFor: "10m" } },
    healthy: { protocol: "http", targets: [origin] },
  },
  routes: [
    { id: "failing", match: { path: "/fail/**" }, upstream: { service: "failing" } },
    { id: "healthy", match: { path: "/ok/**" }, upstream: { service: "healthy" } },
  ],
};
const gateway = await Gateway.start(validateGatewayConfig(config, plugins), plugins, silentLogger);
const client = new Pool(`http://127.0.0.1:${gateway.listeners[0]!.address().port}`, { connections: 1 });

async function timed(path: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < n; index++) {
    const started = performance.now();
    const response = await client.request({ path, method: "GET" });
    await response.body.dump();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const row = (label: string, sorted: number[]) =>
  `| ${label} | ${sorted.length} | ${quantile(sorted, 0.5).toFixed(3)} | ${quantile(sorted, 0.99).toFixed(3)} | ${sorted[sorted.length - 1]!.toFixed(3)} |`;

await timed("/fail/warm", 5);
const before = received;
if (gateway.circuits().failing?.state !== "open") throw new Error("the circuit did not open");
await timed("/ok/warm", 500);
const fastFail = await timed("/fail/x", count);
const proxied = await timed("/ok/x", count);
console.log("| route | requests | p50 ms | p99 ms | max ms |");
console.log("|---|---:|---:|---:|---:|");
console.log(row("circuit open (503 from Rosetta)", fastFail));
console.log(row("healthy upstream (200 through Rosetta)", proxied));
console.log(`upstream requests while open: ${received - before - 500 - count} (expected 0)`);
await client.close();
await gateway.stop(100);
upstream.close();
