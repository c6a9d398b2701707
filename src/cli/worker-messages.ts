import type { MetricsSnapshot } from "../observability/cluster-metrics.js";
import type { RouteRow } from "../observability/routes-table.js";
import type { UpstreamStatus } from "../observability/upstream-status.js";

/**
 * What a worker and its supervisor say over cluster IPC. Every message has a
 * `rosetta:` type, so prom-client's or cluster's own messages pass by.
 */

/** Sent by a worker once every listener is bound, then every second: what the supervisor's /readyz and /upstreams answer from. */
export interface WorkerReport {
  readonly type: "rosetta:report";
  readonly slot: number;
  readonly ready: boolean;
  readonly reasons: readonly string[];
  readonly upstreams: readonly UpstreamStatus[];
  /** Only when they changed since the last report (a reload). */
  readonly routes?: readonly RouteRow[];
  /** The bound listeners, in config order (a port 0 shows the port cluster picked). */
  readonly listeners: readonly { readonly name: string; readonly protocol: string; readonly port: number }[];
}

/** The supervisor asks; the worker answers with the same id. */
export interface WorkerQuestion {
  readonly type: "rosetta:ask";
  readonly id: number;
  readonly what: "metrics" | "reload";
}

export interface WorkerAnswer {
  readonly type: "rosetta:answer";
  readonly id: number;
  readonly metrics?: MetricsSnapshot;
  readonly reload?: { readonly status: number; readonly body: unknown };
}

export type FromWorker = WorkerReport | WorkerAnswer;

export function isRosettaMessage<T extends { type: string }>(message: unknown, type: T["type"]): message is T {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === type;
}

/** How often a worker reports its readiness and upstreams. */
export const reportIntervalMs = 1000;
