import type { CodecRegistry } from "../codecs/codec-registry.js";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../options/error-codes.js";
import type { FilterEntry, GatewayConfig } from "./gateway-config.js";
import type { FilterContext, FilterRoute } from "../filters/filter-factory.js";
import { SharedRedis } from "../filters/redis-connection.js";
import { composeFilters, type Filter, type Handler } from "../core/handler.js";
import type { Endpoint, RouteInfo } from "../endpoints/endpoint.js";
import type { CircuitSnapshot } from "../endpoints/service-circuits.js";
import type { Listener } from "../listeners/listener.js";
import type { Logger } from "../observability/logger.js";
import { createGatewayHandler, type CompiledRoute } from "../pipeline/gateway-handler.js";
import { parsePathTemplate, type PathTemplate } from "../pipeline/path-template.js";
import type { Plugins } from "./plugins.js";
import { inject, type InjectRequest, type InjectResponse } from "./inject.js";
import { AdminServer, type ReloadHandler } from "../observability/admin-server.js";
import type { GatewayMetrics } from "../observability/gateway-metrics.js";
import { redactSecrets } from "../observability/redact.js";
import { observeUpstream } from "../observability/observe-upstream.js";
import type { RouteRow } from "../observability/routes-table.js";
import type { UpstreamStatus } from "../observability/upstream-status.js";
import { upstreamStatusOf } from "./upstream-status-of.js";
import { openSharedParts, type SharedParts } from "./shared-parts.js";
import { buildOpenApiDocument, type DocumentedRoute } from "../openapi/openapi-document.js";
import { openApiRoute } from "./openapi-route.js";

/**
 * A gateway built by a reload host (gateway-host.ts): its listeners call the
 * host's stable handler, and the codecs, metrics, tracer and access log are
 * the host's.
 */
export interface HostedBy {
  readonly handle: Handler;
  readonly shared: SharedParts;
}

/** What the gateway owns besides its handler and listeners; released when it stops. */
interface GatewayParts {
  readonly endpoints: readonly Endpoint<unknown>[];
  readonly shared: SharedParts;
  /** What filters asked to release (FilterContext.onClose). */
  readonly releases: readonly (() => Promise<void> | void)[];
  /** Endpoints by service name, for /upstreams and readiness. */
  readonly services: ReadonlyMap<string, Endpoint<unknown>>;
  /** Every compiled route, generated ones included, for /routes and `rosetta routes`. */
  readonly routeRows: readonly RouteRow[];
  /** Present when the admin listener is configured. */
  readonly metrics: GatewayMetrics | undefined;
  /** False when a reload host lent the shared parts: it closes them, not this gateway. */
  readonly ownsShared: boolean;
  /** The OpenAPI 3.1 document of the routes, built once for this config (served unless `openapi.enabled` is false). */
  readonly openapi: Record<string, unknown>;
}

/** A route to compile: a config route, or one an endpoint brings with it. */
interface RouteSpec extends RouteInfo<unknown> {
  readonly service: string;
  readonly listeners: readonly string[] | undefined;
  readonly source: RouteRow["source"];
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
  /** The admin listener (`admin:` in the config); undefined when not configured. */
  readonly admin: AdminServer | undefined;
  /**
   * What POST /reload does; the reload capability sets it. Until then the
   * admin listener answers 501 "reload not available".
   */
  reloadHandler: ReloadHandler | undefined;
  #listening = false;
  #stopping: Promise<void> | undefined;

  private constructor(config: GatewayConfig, logger: Logger, handle: Handler, parts: GatewayParts, listeners: readonly Listener[]) {
    this.#parts = parts;
    this.#codecs = parts.shared.codecs;
    this.#config = config;
    this.#logger = logger;
    this.handle = handle;
    this.listeners = listeners;
    this.reloadHandler = undefined;
    const metrics = parts.metrics;
    this.admin =
      config.admin === undefined || metrics === undefined || config.adminInSupervisor === true
        ? undefined
        : new AdminServer(config.admin, {
            readiness: () => this.readiness(),
            metrics: () => metrics.exposition(),
            routes: () => this.routes(),
            upstreams: () => this.upstreams(),
            config: () => redactSecrets(config.document),
            reload: () => this.reloadHandler?.(),
            live: metrics.live,
          });
  }

  /** Loads every service and compiles every route; rejects with one ConfigError listing all problems. */
  static async create(config: GatewayConfig, plugins: Plugins, logger: Logger, host?: HostedBy): Promise<Gateway> {
    let gateway: Gateway | undefined;
    // Codecs, metrics, tracer and access log: the reload host's when it lends them, else this gateway's own.
    const opened = host === undefined ? await openSharedParts(config, plugins, logger, () => gateway?.upstreams() ?? []) : { shared: host.shared, problems: [] };
    const { shared } = opened;
    const { codecs, metrics, observers } = shared;
    const names = Object.keys(config.services);
    const created = await Promise.allSettled(
      names.map((name) => {
        const service = config.services[name]!;
        return plugins.endpoints.get(service.protocol).create(name, service.options, {
          codecs,
          frameFormats: plugins.frameFormats,
          logger,
          protoIncludes: config.protoIncludes,
          configPath: `services.${name}`,
          baseDirectory: config.baseDirectory,
        });
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
    const routeRows: RouteRow[] = [];
    const documented: DocumentedRoute[] = [];
    const compile = (spec: RouteSpec) => {
      const { id, template, methods, configPath } = spec;
      try {
        const endpoint = spec.endpoint.handlerFor({ id, template, methods, upstream: spec.upstream, configPath });
        const handler = observeUpstream(spec.service, config.services[spec.service]!.protocol, endpoint, logger);
        routes.push({ id, template: template ?? everyPath, methods, condition: spec.condition, handler: composeFilters(spec.filters, handler) });
        const operation = spec.endpoint.operationOf?.({ id, template, methods, upstream: spec.upstream, configPath });
        if (operation !== undefined) documented.push({ id, template, methods, generated: spec.source === "generated", operation });
        routeRows.push({
          id,
          listeners: spec.listeners,
          methods: methods === undefined ? undefined : [...methods],
          path: (template ?? everyPath).source,
          service: spec.service,
          upstream: upstreamTarget(spec.upstream),
          source: spec.source,
        });
      } catch (error) {
        problems.push(...problemsOf(error, configPath));
      }
    };
    for (const route of config.routes) {
      const endpoint = endpoints.get(route.service);
      if (endpoint === undefined) continue;
      const messages = endpoint.messagesOf?.({ id: route.id, template: route.template, methods: route.methods, upstream: route.upstream, configPath: route.configPath });
      const filters = createFilters(route.filters, { id: route.id, requestShape: messages?.request, responseShape: messages?.response });
      compile({
        id: route.id,
        configPath: route.configPath,
        template: route.template,
        methods: route.methods,
        condition: route.condition,
        filters,
        endpoint,
        upstream: route.upstream,
        service: route.service,
        listeners: route.listeners,
        source: "config",
      });
    }
    for (const [name, endpoint] of endpoints) {
      for (const route of endpoint.routes()) {
        compile({ ...route, configPath: `services.${name}`, condition: undefined, filters: [], endpoint, service: name, listeners: undefined, source: "generated" });
      }
    }
    const globalFilters = createFilters(config.filters, undefined);
    // A tracer or access log that could not start is listed with every other problem.
    problems.push(...opened.problems);
    const openapi = buildOpenApiDocument(documented, config.openapi);
    // The document's own route is the gateway's, like 404s, not one of the config's: it is not in the routes table.
    if (config.openapi.enabled) routes.push(openApiRoute(openapi, config.openapi));
    const parts: GatewayParts = { endpoints: [...endpoints.values()], shared, releases, services: endpoints, routeRows, metrics, ownsShared: host === undefined, openapi };
    if (problems.length > 0) {
      await release(parts);
      throw new ConfigError(problems);
    }
    const handle = createGatewayHandler(routes, globalFilters, observers);
    const listeners = config.listeners.flatMap((options, index) => {
      const configPath = `listeners[${index}]`;
      try {
        return [
          plugins.listeners
            .get(options.protocol)
            .create(options, { handle: host?.handle ?? handle, codecs, frameFormats: plugins.frameFormats, logger, baseDirectory: config.baseDirectory, configPath }),
        ];
      } catch (error) {
        problems.push(...problemsOf(error, configPath));
        return [];
      }
    });
    if (problems.length > 0) {
      await Promise.all(listeners.map((listener) => listener.close(0)));
      await release(parts);
      throw new ConfigError(problems);
    }
    gateway = new Gateway(config, logger, handle, parts, listeners);
    return gateway;
  }

  /** Builds and binds; a listener that cannot bind fails the start with ROSETTA_ERR_LISTEN. */
  static async start(config: GatewayConfig, plugins: Plugins, logger: Logger): Promise<Gateway> {
    const gateway = await Gateway.create(config, plugins, logger);
    await gateway.listen();
    return gateway;
  }

  /** Binds the admin listener (first, so a probe sees "not ready" rather than nothing), then every listener. */
  async listen(): Promise<void> {
    const problems: ConfigProblem[] = [];
    const admin = this.#config.admin;
    if (this.admin !== undefined && admin !== undefined) {
      try {
        await this.admin.start();
      } catch (error) {
        const why = listenFailures[(error as NodeJS.ErrnoException).code ?? ""] ?? (error as Error).message;
        problems.push({ code: ConfigErrorCode.LISTEN, path: "admin.port", message: `the admin listener cannot listen on ${admin.host}:${admin.port}: ${why}` });
      }
    }
    const results = await Promise.allSettled(this.listeners.map((listener) => listener.start()));
    results.forEach((result, index) => {
      if (result.status === "fulfilled") return;
      const listener = this.#config.listeners[index]!;
      const reason = result.reason as NodeJS.ErrnoException;
      const why = listenFailures[reason.code ?? ""] ?? reason.message;
      problems.push({ code: ConfigErrorCode.LISTEN, path: `listeners[${index}].port`, message: `listener "${listener.name}" cannot listen on ${listener.host}:${listener.port}: ${why}` });
    });
    if (problems.length > 0) {
      await this.stop(0);
      throw new ConfigError(problems);
    }
    this.#listening = true;
    for (const listener of this.listeners) {
      const { host, port } = listener.address();
      this.#logger.info("listening", { listener: listener.name, protocol: listener.protocol, host, port });
    }
    if (this.admin !== undefined) this.#logger.info("admin listening", this.admin.address());
  }

  /** Every route, generated ones included, in the order the router tries equally specific ones. */
  routes(): readonly RouteRow[] {
    return this.#parts.routeRows;
  }

  /** The OpenAPI 3.1 document of this config's routes (built when the gateway was). */
  openapi(): Record<string, unknown> {
    return this.#parts.openapi;
  }

  /** Every service with its targets, and health and breaker state where its endpoint reports them. */
  upstreams(): UpstreamStatus[] {
    return [...this.#parts.services].map(([name, endpoint]) => {
      const service = this.#config.services[name]!;
      return upstreamStatusOf(name, service.protocol, endpoint);
    });
  }

  /**
   * Ready for traffic: the config is loaded (it is, or this object would not
   * exist), every listener is bound, the gateway is not stopping, and — unless
   * `admin.readiness.requireHealthyTargets` is false — every service a route
   * uses has a healthy target, for services that report health.
   */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.#listening) reasons.push("listeners are not bound yet");
    if (this.#stopping !== undefined) reasons.push("the gateway is stopping");
    if (this.#config.admin?.readiness.requireHealthyTargets ?? true) {
      const routed = new Set(this.#parts.routeRows.map((row) => row.service));
      for (const upstream of this.upstreams()) {
        if (!routed.has(upstream.service)) continue;
        const known = upstream.targets.filter((target) => target.healthy !== undefined);
        if (known.length > 0 && !known.some((target) => target.healthy === true)) reasons.push(`service "${upstream.service}" has no healthy target`);
      }
    }
    return { ready: reasons.length === 0, reasons };
  }

  /** The Prometheus metrics of this gateway; undefined without an admin listener. */
  get metrics(): GatewayMetrics | undefined {
    return this.#parts.metrics;
  }

  /** Each service's circuit breakers now, by service name (services with `circuitBreaker` only): for metrics and admin. */
  circuits(): Record<string, CircuitSnapshot> {
    const result: Record<string, CircuitSnapshot> = {};
    for (const [name, endpoint] of this.#parts.services) {
      const snapshot = endpoint.circuits?.();
      if (snapshot !== undefined) result[name] = snapshot;
    }
    return result;
  }

  /** Serves one request through the whole pipeline without a socket on the caller's side (tests, embedding). */
  inject(request: InjectRequest): Promise<InjectResponse> {
    return inject(this.handle, this.#codecs, this.#config.listeners, request);
  }

  /**
   * For a reload host, which binds and closes the listeners itself: marks this
   * generation's listeners bound (readiness), or releases its endpoints and
   * filter resources once its in-flight calls are done (never its listeners).
   */
  markBound(): void {
    this.#listening = true;
  }

  /** See markBound. */
  retire(): Promise<void> {
    return release(this.#parts);
  }

  /** Graceful: stop accepting, let in-flight requests finish (bounded by shutdown.timeout), then close upstream connections. */
  stop(graceMs = this.#config.shutdownTimeout): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.listeners.map((listener) => listener.close(graceMs)));
      await this.admin?.close();
      await release(this.#parts);
      this.#logger.info("stopped");
    })();
    return this.#stopping;
  }
}

/** Closes upstream connections, worker threads and whatever filters hold (the gateway's Redis connection too). */
async function release(parts: GatewayParts): Promise<void> {
  await Promise.all([...parts.endpoints.map((endpoint) => endpoint.close()), ...parts.releases.map((callback) => callback())]);
  if (parts.ownsShared) await parts.shared.close();
}

/** The upstream a route names, for the routes table: a gRPC method, a SOAP service, or a path. */
function upstreamTarget(upstream: unknown): string | undefined {
  if (typeof upstream !== "object" || upstream === null) return undefined;
  const { method, soap } = upstream as Record<string, unknown>;
  // An HTTP upstream's path is kept parsed (a template with its source text).
  const raw = (upstream as Record<string, unknown>).path;
  const path = typeof raw === "object" && raw !== null && typeof (raw as { source?: unknown }).source === "string" ? (raw as { source: string }).source : raw;
  if (typeof method === "string") return typeof path === "string" ? `${method} ${path}` : method;
  if (typeof soap === "string") return `soap ${soap}`;
  return typeof path === "string" ? path : undefined;
}

/** What a bind error means, in words an operator acts on. */
export const listenFailures: Record<string, string> = {
  EADDRINUSE: "the address is already in use by another process (EADDRINUSE)",
  EACCES: "permission denied; ports below 1024 need privileges (EACCES)",
  EADDRNOTAVAIL: "this machine has no such address (EADDRNOTAVAIL)",
};

function problemsOf(error: unknown, path: string): ConfigProblem[] {
  if (error instanceof ConfigError) return [...error.problems];
  return [{ code: ConfigErrorCode.REFERENCE, path, message: error instanceof Error ? error.message : String(error) }];
}
