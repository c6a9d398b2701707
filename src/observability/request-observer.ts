import { createContextKey } from "../core/context.js";
import type { RequestEnvelope, ResponseEnvelope } from "../core/envelope.js";

/**
 * What happens around every request the gateway handler serves, whatever
 * listener it came from: the access log, tracing and metrics watch requests
 * through this one hook. `started` runs before global filters and routing,
 * `finished` once the response envelope is known (its body may still be
 * streaming). Neither may throw or take long: both are on the hot path.
 */
export interface RequestObserver {
  started(request: RequestEnvelope): void;
  finished(request: RequestEnvelope, response: ResponseEnvelope, timings: RequestTimings): void;
}

export interface RequestTimings {
  /** When the gateway handler took the request, ms since the epoch. */
  readonly startedAt: number;
  /** From `started` to `finished`, in ms (fractional). */
  readonly durationMs: number;
  /** Time spent matching the route, in ms (fractional); 0 when the request never reached the router. */
  readonly routeMatchMs: number;
}

/** The id of the route the router matched; undefined before routing or when no route matched. */
export const routeIdKey = createContextKey<string | undefined>(undefined, "the matched route id");

/** One observer for several; undefined for none, so the handler can skip the hook entirely. */
export function composeObservers(observers: readonly RequestObserver[]): RequestObserver | undefined {
  if (observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  return {
    started(request) {
      for (const observer of observers) observer.started(request);
    },
    finished(request, response, timings) {
      for (const observer of observers) observer.finished(request, response, timings);
    },
  };
}
