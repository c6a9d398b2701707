import type { Handler } from "../core/handler.js";
import type { Listener } from "../listeners/listener.js";
import { ConfigError, ConfigErrorCode, formatProblem, type ConfigProblem } from "../options/error-codes.js";
import { AdminServer } from "../observability/admin-server.js";
import type { Logger } from "../observability/logger.js";
import { redactSecrets } from "../observability/redact.js";
import type { GatewayConfig } from "./gateway-config.js";
import { Gateway, listenFailures } from "./gateway.js";
import type { Plugins } from "./plugins.js";
import { openSharedParts, type SharedParts } from "./shared-parts.js";

/** What a reload did, as POST /reload answers it. */
export interface ReloadSummary {
  /** 1 for the config the host started with, +1 per applied reload. */
  readonly generation: number;
  readonly routes: number;
  readonly listeners: { readonly opened: string[]; readonly closed: string[]; readonly reopened: string[]; readonly kept: string[] };
  readonly tookMs: number;
}

export type ReloadResult = { readonly ok: true; readonly summary: ReloadSummary } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** One config's gateway, and the calls it is still answering. */
class Generation {
  inFlight = 0;
  #idle: (() => void) | undefined;
  constructor(
    readonly number: number,
    readonly gateway: Gateway,
    readonly config: GatewayConfig,
  ) {}

  done(): void {
    if (--this.inFlight === 0) this.#idle?.();
  }

  /** Resolves when no call is in flight, or after `boundMs`. */
  idle(boundMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, boundMs);
      this.#idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

interface Bound {
  readonly listener: Listener;
  /** The listener's validated options as text: equal text, same listener. */
  readonly key: string;
}

export interface GatewayHostOptions {
  /** Reads and validates the config (file, etcd); rejects with a ConfigError. Called at start and on every reload. */
  readonly load: () => Promise<GatewayConfig>;
  readonly plugins: Plugins;
  readonly logger: Logger;
}

/**
 * Runs a gateway whose config can be replaced while it serves. Listeners
 * call `handle`, a stable indirection to the current generation's handler, so
 * a swap is one assignment: every request sees exactly one config. A reload
 * builds the whole new gateway (protos and reflection included) beside the
 * old one; a bad config is refused and the old keeps serving. The old
 * generation's endpoints and filters are released once its in-flight calls
 * finish (bounded by shutdown.timeout). WebSocket and TCP sessions stay on
 * their listener: their next frame call meets the new config.
 */
export class GatewayHost {
  readonly #options: GatewayHostOptions;
  readonly #shared: SharedParts;
  readonly #bound = new Map<string, Bound>();
  readonly #draining = new Set<Promise<void>>();
  #current: Generation;
  #admin: AdminServer | undefined;
  #running: Promise<ReloadResult> | undefined;
  #queued: Promise<ReloadResult> | undefined;
  #stopping: Promise<void> | undefined;

  /** The handler every listener calls; it never changes, what it calls does. */
  readonly handle: Handler = (request) => {
    const generation = this.#current;
    generation.inFlight++;
    return generation.gateway.handle(request).finally(() => generation.done());
  };

  private constructor(options: GatewayHostOptions, shared: SharedParts, first: Generation) {
    this.#options = options;
    this.#shared = shared;
    this.#current = first;
  }

  /** Loads, builds and binds (admin listener first); rejects with a ConfigError as Gateway.start does. */
  static async start(options: GatewayHostOptions): Promise<GatewayHost> {
    const config = await options.load();
    let host: GatewayHost | undefined;
    const { shared, problems: opening } = await openSharedParts(config, options.plugins, options.logger, () => host?.gateway.upstreams() ?? []);
    let gateway: Gateway;
    try {
      gateway = await Gateway.create(config, options.plugins, options.logger, { handle: (request) => host!.handle(request), shared });
    } catch (error) {
      await shared.close();
      // A tracer or access log that could not start is listed with the other problems, as Gateway.create lists them.
      if (error instanceof ConfigError && opening.length > 0) throw new ConfigError([...error.problems, ...opening]);
      throw error;
    }
    if (opening.length > 0) {
      await gateway.retire();
      await shared.close();
      throw new ConfigError(opening);
    }
    host = new GatewayHost(options, shared, new Generation(1, gateway, config));
    await host.#listen();
    return host;
  }

  /** The gateway of the config serving now. */
  get gateway(): Gateway {
    return this.#current.gateway;
  }

  /** The listeners bound now, in the current config's order. */
  listeners(): Listener[] {
    return this.#current.config.listeners.flatMap((options) => {
      const bound = this.#bound.get(options.name);
      return bound === undefined ? [] : [bound.listener];
    });
  }

  /** The admin listener, when configured. */
  get admin(): AdminServer | undefined {
    return this.#admin;
  }

  async #listen(): Promise<void> {
    const { config, gateway } = this.#current;
    const problems: ConfigProblem[] = [];
    // A worker's admin endpoints are served by its supervisor (workers-options.ts forWorker).
    if (config.admin !== undefined && this.#shared.metrics !== undefined && config.adminInSupervisor !== true) {
      const metrics = this.#shared.metrics;
      this.#admin = new AdminServer(config.admin, {
        readiness: () => {
          const { ready, reasons } = this.gateway.readiness();
          return this.#stopping === undefined ? { ready, reasons } : { ready: false, reasons: [...reasons, "the gateway is stopping"] };
        },
        metrics: () => metrics.exposition(),
        routes: () => this.gateway.routes(),
        upstreams: () => this.gateway.upstreams(),
        config: () => redactSecrets(this.#current.config.document),
        reload: () => this.reloadResponse(),
        // The dashboard's rates and percentiles: the metrics are shared, so they run on across reloads.
        live: metrics.live,
      });
      try {
        await this.#admin.start();
      } catch (error) {
        problems.push({ code: ConfigErrorCode.LISTEN, path: "admin.port", message: `the admin listener cannot listen on ${config.admin.host}:${config.admin.port}: ${whyNoBind(error)}` });
      }
    }
    if (problems.length === 0)
      problems.push(
        ...(await this.#bind(
          gateway,
          config,
          config.listeners.map((options) => options.name),
        )),
      );
    if (problems.length > 0) {
      await this.stop(0);
      throw new ConfigError(problems);
    }
    gateway.markBound();
    gateway.reloadHandler = () => this.reloadResponse();
    for (const listener of this.listeners()) {
      const { host, port } = listener.address();
      this.#options.logger.info("listening", { listener: listener.name, protocol: listener.protocol, host, port });
    }
    if (this.#admin !== undefined) this.#options.logger.info("admin listening", this.#admin.address());
  }

  /** Starts the named listeners of `gateway`; on any failure closes those it started and returns the problems. */
  async #bind(gateway: Gateway, config: GatewayConfig, names: readonly string[]): Promise<ConfigProblem[]> {
    const wanted = names.map((name) => {
      const index = config.listeners.findIndex((options) => options.name === name);
      return { index, options: config.listeners[index]!, listener: gateway.listeners[index]! };
    });
    const results = await Promise.allSettled(wanted.map(({ listener }) => listener.start()));
    const problems: ConfigProblem[] = [];
    results.forEach((result, position) => {
      const { index, options } = wanted[position]!;
      if (result.status === "rejected")
        problems.push({
          code: ConfigErrorCode.LISTEN,
          path: `listeners[${index}].port`,
          message: `listener "${options.name}" cannot listen on ${options.host}:${options.port}: ${whyNoBind(result.reason)}`,
        });
    });
    if (problems.length > 0) {
      await Promise.all(wanted.map(({ listener }) => listener.close(0)));
      return problems;
    }
    for (const { options, listener } of wanted) this.#bound.set(options.name, { listener, key: keyOf(options) });
    return [];
  }

  /**
   * Reloads the config: one at a time; asked while one runs, one more runs
   * after it (however many asked meanwhile, they share that one).
   */
  reload(): Promise<ReloadResult> {
    if (this.#stopping !== undefined) return Promise.resolve({ ok: false, problems: [{ code: ConfigErrorCode.RELOAD, path: "", message: "the gateway is stopping" }] });
    if (this.#running === undefined) {
      this.#running = this.#reload().finally(() => (this.#running = undefined));
      return this.#running;
    }
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.reload();
    });
    return this.#queued;
  }

  /** POST /reload: 200 with the summary, 422 with the problems of a refused config. */
  async reloadResponse(): Promise<{ status: number; body: unknown }> {
    const result = await this.reload();
    return result.ok ? { status: 200, body: { status: "reloaded", ...result.summary } } : { status: 422, body: { status: "refused", problems: result.problems } };
  }

  async #reload(): Promise<ReloadResult> {
    const started = performance.now();
    const { logger, plugins } = this.#options;
    const old = this.#current;
    let config: GatewayConfig;
    let gateway: Gateway;
    try {
      config = await this.#options.load();
      const restartOnly = restartOnlyChanges(old.config, config);
      if (restartOnly.length > 0) throw new ConfigError(restartOnly);
      gateway = await Gateway.create(config, plugins, logger, { handle: this.handle, shared: this.#shared });
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [{ code: ConfigErrorCode.RELOAD, path: "", message: error instanceof Error ? error.message : String(error) }];
      logger.error("reload refused; the previous config keeps serving", { problems: problems.map(formatProblem) });
      return { ok: false, problems };
    }
    const plan = planListeners(this.#bound, config);
    // New addresses are bound before the swap, so a port in use refuses the reload with nothing changed.
    const problems = await this.#bind(gateway, config, plan.opened);
    if (problems.length > 0) {
      await gateway.retire();
      logger.error("reload refused; the previous config keeps serving", { problems: problems.map(formatProblem) });
      return { ok: false, problems };
    }
    const generation = new Generation(old.number + 1, gateway, config);
    this.#current = generation;
    gateway.markBound();
    gateway.reloadHandler = () => this.reloadResponse();
    // Listeners built for names that stay are never bound: the bound ones carry on.
    for (const name of plan.kept) void gateway.listeners[config.listeners.findIndex((options) => options.name === name)]!.close(0);
    const grace = old.config.shutdownTimeout;
    const closing = [...plan.closed, ...plan.reopened].map((name) => {
      const { listener } = this.#bound.get(name)!;
      this.#bound.delete(name);
      return listener.close(grace);
    });
    // A changed listener on the same address: the old one stops accepting at once (its busy connections get
    // the grace period), then the new one binds the port it freed.
    if (plan.reopened.length > 0) {
      const reopenProblems = await this.#bind(gateway, config, plan.reopened);
      for (const problem of reopenProblems) logger.error("a changed listener could not be reopened", { problem: problem.message });
    }
    this.#track(
      (async () => {
        await Promise.all([Promise.all(closing), old.idle(grace)]);
        await old.gateway.retire();
      })(),
    );
    const summary: ReloadSummary = {
      generation: generation.number,
      routes: gateway.routes().length,
      listeners: { opened: plan.opened, closed: plan.closed, reopened: plan.reopened, kept: plan.kept },
      tookMs: Math.round(performance.now() - started),
    };
    logger.info("config reloaded", { ...summary.listeners, generation: summary.generation, routes: summary.routes, tookMs: summary.tookMs });
    return { ok: true, summary };
  }

  #track(draining: Promise<void>): void {
    const settled = draining.catch((error: unknown) => this.#options.logger.warn("releasing the previous config failed", { error: String(error) }));
    this.#draining.add(settled);
    void settled.finally(() => this.#draining.delete(settled));
  }

  /** Graceful, as Gateway.stop: waits for a running reload, closes every listener, drains, releases everything. */
  stop(graceMs?: number): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#running?.catch(() => undefined);
      await this.#queued?.catch(() => undefined);
      const current = this.#current;
      const grace = graceMs ?? current.config.shutdownTimeout;
      await Promise.all([...this.#bound.values()].map(({ listener }) => listener.close(grace)));
      this.#bound.clear();
      await this.#admin?.close();
      await current.idle(grace);
      await Promise.all(this.#draining);
      await current.gateway.retire();
      await this.#shared.close();
      this.#options.logger.info("stopped");
    })();
    return this.#stopping;
  }
}

function keyOf(options: GatewayConfig["listeners"][number]): string {
  return JSON.stringify(options);
}

/** Which listener names open, close, reopen (changed options) and stay, by name. */
function planListeners(bound: ReadonlyMap<string, Bound>, config: GatewayConfig) {
  const opened: string[] = [];
  const reopened: string[] = [];
  const kept: string[] = [];
  const wanted = new Set<string>();
  for (const options of config.listeners) {
    wanted.add(options.name);
    const now = bound.get(options.name);
    if (now === undefined) opened.push(options.name);
    else if (now.key === keyOf(options)) kept.push(options.name);
    else reopened.push(options.name);
  }
  const closed = [...bound.keys()].filter((name) => !wanted.has(name));
  return { opened, closed, reopened, kept };
}

/**
 * The admin listener, the codecs, the tracer and the access log are the host's
 * for its whole life (shared-parts.ts), and the number of worker processes is
 * the supervisor's: changing them takes a restart.
 */
function restartOnlyChanges(old: GatewayConfig, next: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (JSON.stringify(old.tracing) !== JSON.stringify(next.tracing)) problems.push({ code: ConfigErrorCode.RELOAD, path: "tracing", message: "tracing changed; restart to apply it" });
  if (JSON.stringify(old.accessLog) !== JSON.stringify(next.accessLog)) problems.push({ code: ConfigErrorCode.RELOAD, path: "accessLog", message: "the access log changed; restart to apply it" });
  if (JSON.stringify(old.workers) !== JSON.stringify(next.workers)) problems.push({ code: ConfigErrorCode.RELOAD, path: "workers", message: "the number of workers changed; restart to apply it" });
  if (JSON.stringify(old.admin) !== JSON.stringify(next.admin)) problems.push({ code: ConfigErrorCode.RELOAD, path: "admin", message: "the admin listener changed; restart to apply it" });
  if (JSON.stringify(old.codecs) !== JSON.stringify(next.codecs)) problems.push({ code: ConfigErrorCode.RELOAD, path: "codecs", message: "codec options changed; restart to apply them" });
  return problems;
}

/** A bind error in words an operator acts on (as Gateway.listen words it). */
function whyNoBind(error: unknown): string {
  return listenFailures[(error as NodeJS.ErrnoException).code ?? ""] ?? (error as Error).message;
}
