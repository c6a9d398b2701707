import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/**
 * Rosetta with every framed listener next to HTTP, for the listener
 * benchmark: the same two routes (gRPC GetShelf, HTTP orders) reached over
 * HTTP, WebSocket, TCP (NDJSON) and UDP.
 */
const [grpcTarget, httpOrigin] = process.argv.slice(2) as [string, string];
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s" },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0, maxInFlight: 1000 },
      { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0, maxInFlight: 1000 },
      { name: "udp", protocol: "udp", host: "127.0.0.1", port: 0, ratePerSource: 1_000_000, maxInFlight: 10_000 },
    ],
    services: {
      bookstore: { protocol: "grpc", targets: [grpcTarget], protos: ["rosetta/demo/v1/bookstore.proto"] },
      orders: { protocol: "http", targets: [httpOrigin] },
    },
    routes: [{ id: "order", match: { path: "/api/orders/{id}" }, upstream: { service: "orders", path: "/v2/orders/{id}" } }],
  },
  plugins,
);
const gateway = await Gateway.start(config, plugins, silentLogger);
const ports = Object.fromEntries(gateway.listeners.map((listener) => [listener.name, listener.address().port]));
process.stdout.write(`${JSON.stringify({ port: ports.web, ...ports })}\n`);
process.on("SIGINT", () => void gateway.stop(0).then(() => process.exit(0)));
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
