import { createContextKey } from "../core/context.js";
import type { RequestEnvelope, ResponseEnvelope } from "../core/envelope.js";
import type { Handler } from "../core/handler.js";

/**
 * What happened to one request (HTTP call or frame call), filled in as it
 * goes through the gateway handler. One small object per request, made only
 * when at least one observer is configured; everything that learns a fact
 * about the request writes it here, and every observer (metrics, access log,
 * tracing) reads the same record when the request finishes.
 */
export interface RequestOutcome {
  /** performance.now() when the gateway handler received the request. */
  readonly startedAt: number;
  /** performance.now() when the gateway handler's response was ready (headers; a streamed body may still flow). */
  finishedAt: number;
  /** The matched route's id; undefined when no route matched. */
  route: string | undefined;
  /** Milliseconds the router took. */
  routeMatchMs: number;
  /** The service the route called; undefined when no endpoint was called. */
  service: string | undefined;
  /** The upstream target the endpoint chose, when the endpoint reports it. */
  target: string | undefined;
  /** Milliseconds from the endpoint call to its response (its own decode/encode included); -1 when none. */
  upstreamMs: number;
  /** Set by a rate-limit decision that refused the request. */
  rateLimited: boolean;
}

/** The request's outcome record; undefined when nothing observes requests. */
export const requestOutcomeKey = createContextKey<RequestOutcome | undefined>(undefined, "request outcome");

/** Something told about every request the gateway handler serves. Must not throw; must stay cheap. */
export interface RequestObserver {
  started(request: RequestEnvelope): void;
  finished(request: RequestEnvelope, response: ResponseEnvelope, outcome: RequestOutcome): void;
}

export function newRequestOutcome(): RequestOutcome {
  return { startedAt: performance.now(), finishedAt: 0, route: undefined, routeMatchMs: 0, service: undefined, target: undefined, upstreamMs: -1, rateLimited: false };
}

/** For a policy that refuses a request (rate-limit): counted in rosetta_rate_limited_total. */
export function markRateLimited(request: RequestEnvelope): void {
  const outcome = request.context.get(requestOutcomeKey);
  if (outcome !== undefined) outcome.rateLimited = true;
}

/** An endpoint handler that records its service and how long the call took, when the request is observed. */
export function timedUpstream(service: string, handler: Handler): Handler {
  return (request) => {
    const outcome = request.context.get(requestOutcomeKey);
    if (outcome === undefined) return handler(request);
    outcome.service = service;
    const started = performance.now();
    const done = () => {
      outcome.upstreamMs = performance.now() - started;
    };
    const pending = handler(request);
    pending.then(done, done);
    return pending;
  };
}
