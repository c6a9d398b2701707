import { consumerKey } from "../../../src/filters/consumer.js";
import type { FilterFactory } from "../../../src/filters/filter-factory.js";
import { builtinPlugins } from "../../../src/gateway/plugins.js";
import { createGateway, type Gateway } from "../../../src/index.js";
import type { Logger } from "../../../src/observability/logger.js";
import { object } from "../../../src/options/schema.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";

/** A test-only filter after the auth filter: it shows the consumer the auth filter set, as a response header. */
const showConsumer: FilterFactory<unknown> = {
  name: "show-consumer",
  description: "test: echoes request.context's consumer in x-seen-consumer",
  optionsSchema: object({}),
  create: () => (next) => async (request) => {
    const response = await next(request);
    response.headers["x-seen-consumer"] = request.context.get(consumerKey) ?? "(none)";
    return response;
  },
};

/** Every log line the gateway wrote, as text, so a test can look for secrets in it. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push(JSON.stringify({ level, message, ...fields }));
  return { lines, logger: { info: write("info"), warn: write("warn"), error: write("error") } };
}

export interface AuthGateway {
  readonly gateway: Gateway;
  readonly upstream: TestUpstream;
  readonly logs: string[];
  /** The port of the listener of that name. */
  port(name: string): number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A real gateway with an HTTP, a WebSocket and a TCP (NDJSON) listener on
 * 127.0.0.1:0 in front of a real node:http upstream; `routes(service)` gives
 * the routes (their filters are the ones under test).
 */
export async function startAuthGateway(routes: (service: string) => unknown[], extra: { services?: Record<string, unknown>; protos?: unknown } = {}): Promise<AuthGateway> {
  const upstream = await startUpstream();
  const plugins = builtinPlugins();
  plugins.filters.register(showConsumer.name, showConsumer);
  const { logger, lines } = capturingLogger();
  const gateway = await createGateway(
    {
      listeners: [
        { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
        { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0 },
        { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0 },
      ],
      services: { up: { protocol: "http", targets: [upstream.origin] }, ...extra.services },
      routes: routes("up"),
      ...(extra.protos === undefined ? {} : { protos: extra.protos }),
    },
    { plugins, logger },
  );
  await gateway.listen();
  const port = (name: string) => gateway.listeners.find((listener) => listener.name === name)!.address().port;
  return {
    gateway,
    upstream,
    logs: lines,
    port,
    url: `http://127.0.0.1:${port("web")}`,
    close: async () => {
      await gateway.stop(1000);
      await upstream.close();
    },
  };
}
