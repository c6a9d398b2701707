import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/**
 * Rosetta transcoding REST/JSON → gRPC for the benchmark: the Bookstore's
 * annotated routes, request-id on. The optional second argument is the
 * service's unaryTransport (default: the default one, "http2").
 */
const target = process.argv[2]!;
const unaryTransport = process.argv[3] ?? "http2";
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s" }],
    services: { bookstore: { protocol: "grpc", targets: [target], protos: ["rosetta/demo/v1/bookstore.proto"], unaryTransport } },
    filters: ["request-id"],
  },
  plugins,
);
const gateway = await Gateway.start(config, plugins, silentLogger);
process.stdout.write(`${JSON.stringify({ port: gateway.listeners[0]!.address().port })}\n`);
process.on("SIGINT", () => void gateway.stop(0).then(() => process.exit(0)));
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
