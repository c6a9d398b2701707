import { CodecRegistry } from "../codecs/codec-registry.js";
import { timeCodec } from "../codecs/codec-timing.js";
import { GatewayMetrics } from "../observability/gateway-metrics.js";
import type { UpstreamStatus } from "../observability/upstream-status.js";
import type { GatewayConfig } from "./gateway-config.js";
import type { Plugins } from "./plugins.js";

/**
 * What outlives one config generation on a hot reload: the codecs (the
 * listeners that stay keep encoding with them) and the metrics (counters
 * continue across a reload instead of restarting at zero). A gateway built
 * alone owns its own; a reload host makes them once and lends them to
 * every generation.
 */
export interface SharedParts {
  readonly codecs: CodecRegistry;
  /** Present when the admin listener is configured. */
  readonly metrics: GatewayMetrics | undefined;
}

/** `upstreams` is read at scrape time, so it may point at whichever generation is current. */
export function createSharedParts(config: GatewayConfig, plugins: Plugins, upstreams: () => readonly UpstreamStatus[]): SharedParts {
  const codecs = new CodecRegistry(plugins.codecs.keys().map((name) => plugins.codecs.get(name).create(config.codecs[name])));
  const metrics = config.admin === undefined ? undefined : new GatewayMetrics(upstreams);
  if (metrics !== undefined) for (const name of plugins.codecs.keys()) timeCodec(codecs.get(name), metrics.codecTimer);
  return { codecs, metrics };
}
