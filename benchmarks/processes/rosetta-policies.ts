import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/**
 * One Rosetta process with the same HTTP→HTTP route under several policy
 * sets, so one process's CPU is charged to each in turn: none; cors +
 * rate-limit in memory; cors + rate-limit in Redis; and each of those with
 * api-key in front. Limits are far above the load: every request is allowed,
 * so the measured path is the full one (decision, headers, upstream call).
 */
const [upstream, redisUrl] = process.argv.slice(2) as [string, string];
const cors = { cors: { origins: ["https://app.example.com"], credentials: true, exposeHeaders: ["x-request-id"] } };
const apiKey = { "api-key": { consumers: { bench: { key: "bench-key-0123456789" } }, forward: "x-consumer" } };
const limit = (store: string, key: string) => ({ "rate-limit": { rate: 1_000_000_000, per: "1s", key, store } });
const route = (id: string, filters: unknown[]) => ({ id, match: { path: `/${id}/**` }, filters, upstream: { service: "orders", path: "/v2/orders/1" } });
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s" }],
    redis: { url: redisUrl },
    services: { orders: { protocol: "http", targets: [upstream] } },
    routes: [
      route("none", []),
      route("memory", [cors, limit("memory", "ip")]),
      route("redis", [cors, limit("redis", "ip")]),
      route("auth-memory", [cors, apiKey, limit("memory", "consumer")]),
      route("auth-redis", [cors, apiKey, limit("redis", "consumer")]),
    ],
  },
  plugins,
);
const gateway = await Gateway.start(config, plugins, silentLogger);
process.stdout.write(`${JSON.stringify({ port: gateway.listeners[0]!.address().port })}\n`);
process.on("SIGINT", () => void gateway.stop(0).then(() => process.exit(0)));
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
