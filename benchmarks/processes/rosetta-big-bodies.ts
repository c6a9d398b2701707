import { createServer } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/**
 * Rosetta in front of the test Library for the big-body benchmark: XML and
 * JSON bodies of megabytes next to small calls on another route, to another
 * upstream (so that only Rosetta is shared). argv: gRPC target, HTTP origin,
 * then the `codecs` option object as JSON (workers, offloadAbove per codec). A second
 * port answers GET with the event-loop delay (monitorEventLoopDelay) seen
 * since the last GET (p50/p99/max in ms), then resets it.
 */
const [target, origin, codecs] = process.argv.slice(2);
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s", maxBodyBytes: "8MiB" }],
    protos: { include: ["test/protos"] },
    codecs: JSON.parse(codecs ?? "{}") as unknown,
    services: {
      library: { protocol: "grpc", targets: [target!], protos: ["rosetta/test/v1/library.proto"], maxReceiveMessageSize: "16MiB", maxSendMessageSize: "16MiB" },
      orders: { protocol: "http", targets: [origin!] },
    },
    routes: [{ id: "get-order", match: { path: "/api/orders/{id}", methods: ["GET"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } }],
  },
  plugins,
);
const gateway = await Gateway.start(config, plugins, silentLogger);
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const stats = createServer((_req, res) => {
  res.end(JSON.stringify({ p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 }));
  delay.reset();
}).listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: gateway.listeners[0]!.address().port, statsPort: (stats.address() as { port: number }).port })}\n`);
});
// Exit through Node (not the default signal action) so --cpu-prof can write its profile.
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
