import { CodecRegistry } from "./codecs/codec-registry.js";
import { ConfigError, ConfigErrorCode } from "./config/error-codes.js";
import type { GatewayConfig } from "./config/gateway-config.js";
import { composeFilters, type Handler } from "./core/handler.js";
import type { Endpoint } from "./endpoints/endpoint.js";
import type { Listener } from "./listeners/listener.js";
import type { Logger } from "./observability/logger.js";
import { createGatewayHandler, type CompiledRoute } from "./pipeline/gateway-handler.js";
import { parsePathTemplate, type PathTemplate } from "./pipeline/path-template.js";
import type { Plugins } from "./plugins.js";

const everyPath = (parsePathTemplate("/**") as { template: PathTemplate }).template;

/**
 * A running gateway: the listeners, the endpoints and the one handler
 * between them, built from a validated config.
 */
export class Gateway {
  readonly handle: Handler;
  readonly listeners: readonly Listener[];
  readonly #endpoints: readonly Endpoint<unknown>[];
  readonly #config: GatewayConfig;
  readonly #logger: Logger;
  #stopping: Promise<void> | undefined;

  private constructor(config: GatewayConfig, plugins: Plugins, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    const codecs = new CodecRegistry(
      plugins.codecs.keys().map((name) => plugins.codecs.get(name).create(config.codecs[name])),
      "json",
    );
    const endpoints = new Map<string, Endpoint<unknown>>();
    for (const [name, service] of Object.entries(config.services)) {
      endpoints.set(name, plugins.endpoints.get(service.protocol).create(name, service.options, { codecs, logger }));
    }
    this.#endpoints = [...endpoints.values()];
    const routes: CompiledRoute[] = config.routes.map((route) => ({
      id: route.id,
      template: route.template ?? everyPath,
      methods: route.methods,
      condition: route.condition,
      handler: composeFilters(
        route.filters.map((entry) => entry.factory.create(entry.options)),
        endpoints.get(route.service)!.handlerFor({ id: route.id, template: route.template, upstream: route.upstream }),
      ),
    }));
    this.handle = createGatewayHandler(routes, config.filters.map((entry) => entry.factory.create(entry.options)));
    this.listeners = config.listeners.map((options) =>
      plugins.listeners.get(options.protocol).create(options, { handle: this.handle, codecs, logger }));
  }

  /** Builds and binds everything; a listener that cannot bind fails the start with ROSETTA_ERR_LISTEN. */
  static async start(config: GatewayConfig, plugins: Plugins, logger: Logger): Promise<Gateway> {
    const gateway = new Gateway(config, plugins, logger);
    const results = await Promise.allSettled(gateway.listeners.map((listener) => listener.start()));
    const problems = results.flatMap((result, index) => {
      if (result.status === "fulfilled") return [];
      const listener = config.listeners[index]!;
      const reason = result.reason as NodeJS.ErrnoException;
      return [{ code: ConfigErrorCode.LISTEN, path: `listeners[${index}].port`, message: `cannot listen on ${listener.host}:${listener.port}: ${reason.code ?? reason.message}` }];
    });
    if (problems.length > 0) {
      await gateway.stop(0);
      throw new ConfigError(problems);
    }
    for (const listener of gateway.listeners) {
      const { host, port } = listener.address();
      logger.info("listening", { listener: listener.name, protocol: listener.protocol, host, port });
    }
    return gateway;
  }

  /** Graceful: stop accepting, let in-flight requests finish (bounded by shutdown.timeout), then close upstream pools. */
  stop(graceMs = this.#config.shutdownTimeout): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.listeners.map((listener) => listener.close(graceMs)));
      await Promise.all(this.#endpoints.map((endpoint) => endpoint.close()));
      this.#logger.info("stopped");
    })();
    return this.#stopping;
  }
}
