import { createServer } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/**
 * Rosetta in front of the test Library for the XML benchmark. argv: target,
 * XML worker threads. A second port answers GET with the event-loop delay
 * seen since the last GET (p50/p99/max in ms), then resets it.
 */
const [target, workers] = process.argv.slice(2);
const plugins = builtinPlugins();
const config = validateGatewayConfig(
  {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, keepAliveTimeout: "60s", maxBodyBytes: "2MiB" }],
    protos: { include: ["test/protos"] },
    codecs: { xml: { workers: Number(workers ?? 1), maxElements: 1_000_000 } },
    services: { library: { protocol: "grpc", targets: [target!], protos: ["rosetta/test/v1/library.proto"], maxReceiveMessageSize: "16MiB", maxSendMessageSize: "16MiB" } },
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
process.on("SIGTERM", () => void gateway.stop(0).then(() => process.exit(0)));
