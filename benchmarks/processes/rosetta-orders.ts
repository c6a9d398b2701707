import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { peersProtoRoot } from "../peer-programs.js";

/**
 * Rosetta transcoding REST/JSON → gRPC for the peers benchmark: Orders.GetOrder's
 * annotated route (the one grpc-gateway serves), request-id on. A second
 * argument picks the unary transport (`http2`, the default, or `grpc-js`).
 */
const target = process.argv[2];
if (target === undefined) throw new Error("usage: rosetta-orders HOST:PORT [http2|grpc-js]");
const unaryTransport = process.argv[3] ?? "http2";
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s" }],
    protos: { include: [peersProtoRoot] },
    services: { orders: { protocol: "grpc", targets: [target], protos: ["rosetta/bench/v1/orders.proto"], unaryTransport } },
    filters: ["request-id"],
  },
  plugins,
);
const gateway = await Gateway.start(config, plugins, silentLogger);
process.stdout.write(`${JSON.stringify({ port: gateway.listeners[0]?.address().port })}\n`);
process.on("SIGINT", () => void gateway.stop(0).then(() => process.exit(0)));
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
