import { CodecRegistry } from "../codecs/codec-registry.js";
import { timeCodec } from "../codecs/codec-timing.js";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../options/error-codes.js";
import { GatewayMetrics } from "../observability/gateway-metrics.js";
import type { Logger } from "../observability/logger.js";
import type { RequestObserver } from "../observability/request-observer.js";
import type { UpstreamStatus } from "../observability/upstream-status.js";
import type { GatewayConfig } from "./gateway-config.js";
import { openAccessLog, openTracer, type OpenedObserver } from "./observation.js";
import type { Plugins } from "./plugins.js";

/**
 * What outlives one config generation on a hot reload: the codecs (the
 * listeners that stay keep encoding with them), the metrics (counters
 * continue across a reload instead of restarting at zero) and the other
 * request observers — the tracer and the access log, so a reload neither
 * opens the log file twice nor starts a second exporter. A gateway built
 * alone owns its own; a reload host makes them once and lends them to every
 * generation (which is why a reload that changes `tracing` or `accessLog`
 * is refused, as one changing `admin` or `codecs`).
 */
export interface SharedParts {
  readonly codecs: CodecRegistry;
  /** Present when the admin listener is configured. */
  readonly metrics: GatewayMetrics | undefined;
  /** Who watches requests, in one list: metrics with the admin listener, tracing, the access log. */
  readonly observers: readonly RequestObserver[];
  /** Flushes and closes the tracer and the access log, then the codecs. */
  close(): Promise<void>;
}

/**
 * Opens the shared parts. The problems of a tracer or an access log that
 * cannot start are returned, not thrown, so the caller lists them with every
 * other problem of the config; the parts returned are usable either way.
 * `upstreams` is read at scrape time, so it may point at whichever generation
 * is current.
 */
export async function openSharedParts(
  config: GatewayConfig,
  plugins: Plugins,
  logger: Logger,
  upstreams: () => readonly UpstreamStatus[],
): Promise<{ shared: SharedParts; problems: ConfigProblem[] }> {
  const codecs = new CodecRegistry(plugins.codecs.keys().map((name) => plugins.codecs.get(name).create(config.codecs[name])));
  // They share one outcome record per request, which the pipeline fills whatever of them is configured.
  const observers: RequestObserver[] = [];
  const metrics = config.admin === undefined ? undefined : new GatewayMetrics(upstreams);
  if (metrics !== undefined) {
    observers.push(metrics);
    for (const name of plugins.codecs.keys()) timeCodec(codecs.get(name), metrics.codecTimer);
  }
  const opened: OpenedObserver[] = [];
  const problems: ConfigProblem[] = [];
  const open = async (path: string, start: () => OpenedObserver | Promise<OpenedObserver>) => {
    try {
      const observer = await start();
      opened.push(observer);
      observers.push(observer.observer);
    } catch (error) {
      problems.push(...(error instanceof ConfigError ? error.problems : [{ code: ConfigErrorCode.REFERENCE, path, message: error instanceof Error ? error.message : String(error) }]));
    }
  };
  const { tracing, accessLog } = config;
  if (tracing !== undefined) await open("tracing", () => openTracer(tracing, logger));
  if (accessLog !== undefined) await open("accessLog", () => openAccessLog(accessLog, logger));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await Promise.all(opened.map((observer) => observer.close()));
      await codecs.close();
    })();
    return closing;
  };
  return { shared: { codecs, metrics, observers, close }, problems };
}
