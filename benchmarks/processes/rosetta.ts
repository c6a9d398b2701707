import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/**
 * Rosetta as benchmarked: routing by template and method among other routes,
 * global request-id and header filters, a route filter, and a path rewrite —
 * the work a real deployment does, not an empty pass-through.
 */
const upstream = process.argv[2]!;
// "admin" after the upstream turns the admin listener and its metrics on (the observability benchmark);
// "undici" sends upstream requests through undici's Pool instead of Rosetta's own HTTP/1.1 client.
const flags = process.argv.slice(3);
const admin = flags.includes("admin") ? { admin: { port: 0 } } : {};
const transport = flags.includes("undici") ? "undici" : "rosetta";
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s" }],
    services: { orders: { protocol: "http", targets: [upstream], transport } },
    filters: ["request-id", { "request-headers": { set: { "x-gateway": "rosetta" }, remove: ["x-debug"] } }, { "response-headers": { set: { "x-served-by": "rosetta" } } }],
    routes: [
      { id: "list", match: { path: "/api/orders", methods: ["GET"] }, upstream: { service: "orders", path: "/v2/orders" } },
      { id: "delete", match: { path: "/api/orders/{id}", methods: ["DELETE"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } },
      {
        id: "get",
        match: { path: "/api/orders/{id}", methods: ["GET"] },
        filters: [{ "response-headers": { remove: ["x-powered-by"] } }],
        upstream: { service: "orders", path: "/v2/orders/{id}" },
      },
      { id: "other", match: { path: "/api/{rest=**}" }, upstream: { service: "orders" } },
    ],
    ...admin,
  },
  plugins,
);
const gateway = await Gateway.start(config, plugins, silentLogger);
process.stdout.write(`${JSON.stringify({ port: gateway.listeners[0]!.address().port })}\n`);
// Exit through Node (not the default signal action) so --cpu-prof can write its profile.
process.on("SIGINT", () => void gateway.stop(0).then(() => process.exit(0)));
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
