import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly port: number;
  stop(graceMs?: number): Promise<void>;
}

/** Starts a real gateway from a config object; the first listener is bound to 127.0.0.1:0 unless the config says otherwise. */
export async function startGateway(config: Record<string, unknown>): Promise<TestGateway> {
  const withListener = { listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }], ...config };
  const plugins = builtinPlugins();
  const gateway = await Gateway.start(validateGatewayConfig(withListener, plugins), plugins, silentLogger);
  const { port } = gateway.listeners[0]!.address();
  return { gateway, port, url: `http://127.0.0.1:${port}`, stop: (graceMs = 1000) => gateway.stop(graceMs) };
}
