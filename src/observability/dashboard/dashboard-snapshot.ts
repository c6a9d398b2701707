import { unmatchedRoute } from "../gateway-metrics.js";
import type { RouteRow } from "../routes-table.js";
import type { UpstreamStatus } from "../upstream-status.js";
import type { LiveStats, RouteFigures } from "./live-stats.js";
import type { RecentError } from "./recent-errors.js";
import { historySeconds, windowSeconds } from "./route-window.js";

/** What the dashboard shows; the admin listener provides it. */
export interface DashboardSources {
  routes(): readonly RouteRow[];
  upstreams(): readonly UpstreamStatus[];
  /** The live figures; undefined when nothing records them (every route then shows no traffic). */
  readonly live: LiveStats | undefined;
}

/** One route's row: what it is and what it did in the last window. */
export interface DashboardRoute {
  readonly id: string;
  readonly service: string | undefined;
  readonly listeners: readonly string[] | undefined;
  readonly methods: readonly string[] | undefined;
  readonly path: string | undefined;
  readonly source: RouteRow["source"] | undefined;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly errorRate: number;
  /** Requests per second over the last minute, oldest first; empty when the route had none. */
  readonly history: readonly number[];
}

/** One server-sent event's data, also served at GET /dashboard/snapshot. */
export interface DashboardSnapshot {
  /** ms since the epoch. */
  readonly time: number;
  readonly windowSeconds: number;
  readonly historySeconds: number;
  readonly totals: { readonly requests: number; readonly requestsPerSecond: number; readonly errorRate: number; readonly history: readonly number[] };
  readonly routes: readonly DashboardRoute[];
  readonly upstreams: readonly UpstreamStatus[];
  readonly errors: readonly RecentError[];
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const roundOrUndefined = (value: number | undefined) => (value === undefined ? undefined : round(value, 3));

/** Every route (generated ones included, and "unmatched" once something missed) with its figures; services; recent errors. */
export function dashboardSnapshot(sources: DashboardSources): DashboardSnapshot {
  const figures = sources.live?.figures() ?? new Map<string, RouteFigures>();
  const rows: { id: string; row: RouteRow | undefined }[] = sources.routes().map((row) => ({ id: row.id, row }));
  if (figures.has(unmatchedRoute)) rows.push({ id: unmatchedRoute, row: undefined });
  let requests = 0;
  let errors = 0;
  const history = new Array<number>(historySeconds).fill(0);
  const routes = rows.map(({ id, row }): DashboardRoute => {
    const live = figures.get(id);
    const recent = live?.history.some((count) => count > 0) ? live.history : [];
    if (live !== undefined) {
      requests += live.requests;
      errors += live.requests * live.errorRate;
      live.history.forEach((count, index) => {
        history[index]! += count;
      });
    }
    return {
      id,
      service: row?.service,
      listeners: row?.listeners,
      methods: row?.methods,
      path: row?.path,
      source: row?.source,
      requests: live?.requests ?? 0,
      requestsPerSecond: round(live?.requestsPerSecond ?? 0, 2),
      p50Ms: roundOrUndefined(live?.p50Ms),
      p99Ms: roundOrUndefined(live?.p99Ms),
      errorRate: round(live?.errorRate ?? 0, 4),
      history: recent,
    };
  });
  return {
    time: Date.now(),
    windowSeconds,
    historySeconds,
    totals: { requests, requestsPerSecond: round(requests / windowSeconds, 2), errorRate: requests === 0 ? 0 : round(errors / requests, 4), history },
    routes,
    upstreams: sources.upstreams(),
    errors: sources.live?.recentErrors() ?? [],
  };
}
