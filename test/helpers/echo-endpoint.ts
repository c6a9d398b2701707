import { builtinPlugins, options, readBodyBytes, valueBody, type EndpointFactory, type HeaderMap, type Plugins, type RequestEnvelope, type ResponseEnvelope } from "../../src/index.js";

/** What the echo endpoint received, after every filter ran. */
export interface EchoedRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly params: Record<string, string>;
  readonly headers: HeaderMap;
  readonly body: Buffer;
}

export interface EchoEndpoint {
  /** builtinPlugins() with the `echo` service protocol registered. */
  readonly plugins: Plugins;
  readonly received: EchoedRequest[];
}

/**
 * A service protocol `echo`, registered through the public API as any
 * embedding program would: it records each request and answers with
 * `respond`, by default a JSON-shaped value of what it received (so the
 * caller's codec encodes it). It lets router, filter and codec logic be
 * tested with Gateway.inject and no socket at all.
 */
export function echoEndpoint(respond?: (request: EchoedRequest) => ResponseEnvelope): EchoEndpoint {
  const received: EchoedRequest[] = [];
  const factory: EndpointFactory<unknown, unknown> = {
    protocol: "echo",
    serviceSchema: options.object({ protocol: options.required(options.string(), "echo") }),
    upstreamSchema: options.object({}),
    create: async () => ({
      handlerFor: () => async (request: RequestEnvelope) => {
        const echoed: EchoedRequest = {
          method: request.method,
          path: request.path,
          rawQuery: request.rawQuery,
          params: { ...request.params },
          headers: { ...request.headers },
          body: Buffer.from(await readBodyBytes(request.body, 1 << 20)),
        };
        received.push(echoed);
        if (respond !== undefined) return respond(echoed);
        const value = { method: echoed.method, path: echoed.path, query: echoed.rawQuery, params: echoed.params, body: echoed.body.toString("utf8") };
        return { status: 200, headers: {}, body: valueBody(value) };
      },
      routes: () => [],
      close: async () => {},
    }),
  };
  const plugins = builtinPlugins();
  plugins.endpoints.register(factory.protocol, factory);
  return { plugins, received };
}
