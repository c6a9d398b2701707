import { CodecRegistry } from "../codecs/codec-registry.js";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../options/error-codes.js";
import type { FilterEntry, GatewayConfig } from "./gateway-config.js";
import type { FilterContext, FilterRoute } from "../filters/filter-factory.js";
import { SharedRedis } from "../filters/redis-connection.js";
import { composeFilters, type Filter, type Handler } from "../core/handler.js";
import type { Endpoint, RouteInfo } from "../endpoints/endpoint.js";
import type { Listener } from "../listeners/listener.js";
import type { Logger } from "../observability/logger.js";
import { createGatewayHandler, type CompiledRoute } from "../pipeline/gateway-handler.js";
import { parsePathTemplate, type PathTemplate } from "../pipeline/path-template.js";
import type { Plugins } from "./plugins.js";
import { inject, type InjectRequest, type InjectResponse } from "./inject.js";

/** What the gateway owns besides its handler and listeners; released when it stops. */
interface GatewayParts {
  readonly endpoints: readonly Endpoint<unknown>[];
  readonly codecs: CodecRegistry;
  /** What filters asked to release (FilterContext.onClose). */
  readonly releases: readonly (() => Promise<void> | void)[];
}

/** A route to compile: a config route, or one an endpoint brings with it. */
interface RouteSpec extends RouteInfo<unknown> {
  readonly condition: CompiledRoute["condition"];
  readonly filters: readonly Filter[];
  readonly endpoint: Endpoint<unknown>;
}

const everyPath = (parsePathTemplate("/**") as { template: PathTemplate }).template;

/**
 * A gateway built from a validated config: endpoints (with their schemas
 * loaded), the compiled routes, the one handler every listener calls, and
 * the listeners. `create` does everything but bind; `listen` binds.
 */
export class Gateway {
  readonly handle: Handler;
  readonly listeners: readonly Listener[];
  readonly #parts: GatewayParts;
  readonly #codecs: CodecRegistry;
  readonly #config: GatewayConfig;
  readonly #logger: Logger;
  #stopping: Promise<void> | undefined;

  private constructor(config: GatewayConfig, logger: Logger, handle: Handler, parts: GatewayParts, listeners: readonly Listener[]) {
    this.#parts = parts;
    this.#codecs = parts.codecs;
    this.#config = config;
    this.#logger = logger;
    this.handle = handle;
    this.listeners = listeners;
  }

  /** Loads every service and compiles every route; rejects with one ConfigError listing all problems. */
  static async create(config: GatewayConfig, plugins: Plugins, logger: Logger): Promise<Gateway> {
    const codecs = new CodecRegistry(plugins.codecs.keys().map((name) => plugins.codecs.get(name).create(config.codecs[name])));
    const names = Object.keys(config.services);
    const created = await Promise.allSettled(
      names.map((name) => {
        const service = config.services[name]!;
        return plugins.endpoints
          .get(service.protocol)
          .create(name, service.options, { codecs, frameFormats: plugins.frameFormats, logger, protoIncludes: config.protoIncludes, configPath: `services.${name}` });
      }),
    );
    const problems: ConfigProblem[] = [];
    const endpoints = new Map<string, Endpoint<unknown>>();
    created.forEach((result, index) => {
      if (result.status === "fulfilled") endpoints.set(names[index]!, result.value);
      else problems.push(...problemsOf(result.reason, `services.${names[index]}`));
    });
    const releases: (() => Promise<void> | void)[] = [];
    // One connection per gateway for every filter that uses Redis; it connects only if one asks for it.
    const redis = config.redis === undefined ? undefined : new SharedRedis(config.redis, logger);
    if (redis !== undefined) releases.push(() => redis.close());
    const createFilters = (entries: readonly FilterEntry[], route: FilterRoute | undefined): Filter[] =>
      entries.flatMap((entry) => {
        const context: FilterContext = { route, configPath: entry.configPath, baseDirectory: config.baseDirectory, logger, codecs, redis, onClose: (callback) => void releases.push(callback) };
        try {
          return [entry.factory.create(entry.options, context)];
        } catch (error) {
          problems.push(...problemsOf(error, entry.configPath));
          return [];
        }
      });
    const routes: CompiledRoute[] = [];
    const compile = (spec: RouteSpec) => {
      const { id, template, methods, configPath } = spec;
      try {
        const handler = spec.endpoint.handlerFor({ id, template, methods, upstream: spec.upstream, configPath });
        routes.push({ id, template: template ?? everyPath, methods, condition: spec.condition, handler: composeFilters(spec.filters, handler) });
      } catch (error) {
        problems.push(...problemsOf(error, configPath));
      }
    };
    for (const route of config.routes) {
      const endpoint = endpoints.get(route.service);
      if (endpoint === undefined) continue;
      const filters = createFilters(route.filters, { id: route.id });
      compile({ id: route.id, configPath: route.configPath, template: route.template, methods: route.methods, condition: route.condition, filters, endpoint, upstream: route.upstream });
    }
    for (const [name, endpoint] of endpoints) {
      for (const route of endpoint.routes()) compile({ ...route, configPath: `services.${name}`, condition: undefined, filters: [], endpoint });
    }
    const globalFilters = createFilters(config.filters, undefined);
    const parts: GatewayParts = { endpoints: [...endpoints.values()], codecs, releases };
    if (problems.length > 0) {
      await release(parts);
      throw new ConfigError(problems);
    }
    const handle = createGatewayHandler(routes, globalFilters);
    const listeners = config.listeners.map((options) => plugins.listeners.get(options.protocol).create(options, { handle, codecs, frameFormats: plugins.frameFormats, logger }));
    return new Gateway(config, logger, handle, parts, listeners);
  }

  /** Builds and binds; a listener that cannot bind fails the start with ROSETTA_ERR_LISTEN. */
  static async start(config: GatewayConfig, plugins: Plugins, logger: Logger): Promise<Gateway> {
    const gateway = await Gateway.create(config, plugins, logger);
    await gateway.listen();
    return gateway;
  }

  async listen(): Promise<void> {
    const results = await Promise.allSettled(this.listeners.map((listener) => listener.start()));
    const problems = results.flatMap((result, index): ConfigProblem[] => {
      if (result.status === "fulfilled") return [];
      const listener = this.#config.listeners[index]!;
      const reason = result.reason as NodeJS.ErrnoException;
      const why = listenFailures[reason.code ?? ""] ?? reason.message;
      return [{ code: ConfigErrorCode.LISTEN, path: `listeners[${index}].port`, message: `listener "${listener.name}" cannot listen on ${listener.host}:${listener.port}: ${why}` }];
    });
    if (problems.length > 0) {
      await this.stop(0);
      throw new ConfigError(problems);
    }
    for (const listener of this.listeners) {
      const { host, port } = listener.address();
      this.#logger.info("listening", { listener: listener.name, protocol: listener.protocol, host, port });
    }
  }

  /** Serves one request through the whole pipeline without a socket on the caller's side (tests, embedding). */
  inject(request: InjectRequest): Promise<InjectResponse> {
    return inject(this.handle, this.#codecs, this.#config.listeners, request);
  }

  /** Graceful: stop accepting, let in-flight requests finish (bounded by shutdown.timeout), then close upstream connections. */
  stop(graceMs = this.#config.shutdownTimeout): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.listeners.map((listener) => listener.close(graceMs)));
      await release(this.#parts);
      this.#logger.info("stopped");
    })();
    return this.#stopping;
  }
}

/** Closes upstream connections, worker threads and whatever filters hold. */
async function release(parts: GatewayParts): Promise<void> {
  await Promise.all([...parts.endpoints.map((endpoint) => endpoint.close()), ...parts.releases.map((callback) => callback())]);
  await parts.codecs.close();
}

/** What a bind error means, in words an operator acts on. */
const listenFailures: Record<string, string> = {
  EADDRINUSE: "the address is already in use by another process (EADDRINUSE)",
  EACCES: "permission denied; ports below 1024 need privileges (EACCES)",
  EADDRNOTAVAIL: "this machine has no such address (EADDRNOTAVAIL)",
};

function problemsOf(error: unknown, path: string): ConfigProblem[] {
  if (error instanceof ConfigError) return [...error.problems];
  return [{ code: ConfigErrorCode.REFERENCE, path, message: error instanceof Error ? error.message : String(error) }];
}
