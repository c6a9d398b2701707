import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/**
 * Rosetta for the tracing benchmark: HTTP→HTTP on one route with either
 * nothing observed (`off`), the access log to a file (`access-log FILE`, or
 * `access-log-sample-0 FILE` with every success sampled away), or tracing at
 * sample 1 exporting to a local OTLP sink (`tracing URL`).
 */
const [upstream, mode, where] = process.argv.slice(2) as [string, string, string | undefined];
const observers: Record<string, Record<string, unknown>> = {
  off: {},
  "access-log": { accessLog: { to: where } },
  // Every line sampled away: what remains is the call record, the ids and the trace context sent upstream.
  "access-log-sample-0": { accessLog: { to: where, sample: 0 } },
  tracing: { tracing: { otlp: where, sample: 1 } },
};
const observed = observers[mode]!;
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s" }],
    services: { orders: { protocol: "http", targets: [upstream] } },
    routes: [{ id: "get", match: { path: "/api/orders/{id}", methods: ["GET"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } }],
    ...observed,
  },
  plugins,
);
const gateway = await Gateway.start(config, plugins, silentLogger);
process.stdout.write(`${JSON.stringify({ port: gateway.listeners[0]!.address().port })}\n`);
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
