import { performance } from "node:perf_hooks";
import { createContextKey } from "../core/context.js";
import type { RequestEnvelope, ResponseEnvelope } from "../core/envelope.js";
import type { GatewayError } from "../core/gateway-error.js";
import { newSpanId, newTraceId, parseTraceparent } from "./trace-context.js";

/**
 * What happened to one request (HTTP call or frame call), filled in as it
 * goes through the gateway handler. One object per request, made only when
 * at least one observer is configured; everything that learns a fact about
 * the request writes it here (the handler, the upstream wrapper, the
 * balancer, the translating endpoints, rate-limit policies), and every
 * observer (metrics, access log, tracing) reads the same record. Times are
 * performance.now() values and milliseconds.
 */
export interface RequestOutcome {
  /** When the gateway handler received the request. */
  readonly startedAt: number;
  /** When the gateway handler's response was ready (headers; a streamed body may still flow); 0 until then. */
  finishedAt: number;
  /** The matched route's id; undefined when no route matched. */
  route: string | undefined;
  /** When the router started; 0 when the request never reached it. */
  routeStart: number;
  /** Milliseconds the router took. */
  routeMatchMs: number;
  /** The service the route called; undefined when no endpoint was called. */
  service: string | undefined;
  /** The called service's endpoint kind: http, grpc, tcp. */
  upstreamProtocol: string | undefined;
  /** The upstream target the balancer chose (origin, host:port); the last one tried. */
  target: string | undefined;
  /** When the endpoint was called; 0 when it was not. */
  upstreamStart: number;
  /** Milliseconds from the endpoint call to its response (its own translation included); -1 when none. */
  upstreamMs: number;
  /** The upstream's answer: its status, and the error it became. */
  upstreamStatus: number | undefined;
  upstreamError: GatewayError | undefined;
  /** Body translation into the upstream's format and back: [start, end] pairs (for spans), and their sum. */
  readonly translations: number[];
  translationMs: number;
  /** Set by a rate-limit decision that refused the request. */
  rateLimited: boolean;
  /** The caller's trace or a new one; "" when no observer reads the trace context. */
  traceId: string;
  /** This request's own (server) span; the tracer replaces the generated one with its span's. */
  spanId: string;
  /** The caller's span, when the caller sent a traceparent. */
  readonly parentSpanId: string | undefined;
  sampled: boolean;
  readonly tracestate: string | undefined;
  /** The span id sent upstream as the parent: the client span's with tracing, else `spanId`; "" before the call. */
  upstreamSpanId: string;
  /** The tracer's handle on this request's spans, when tracing is on. */
  span: RequestSpan | undefined;
}

/** The tracer's side of one request (an OpenTelemetry server span and what hangs off it). */
export interface RequestSpan {
  /** Starts the client span of the upstream call; returns its span id, which goes upstream as the parent. */
  startUpstream(outcome: RequestOutcome): string;
  endUpstream(outcome: RequestOutcome): void;
}

/**
 * Something told about every request the gateway handler serves, whatever
 * listener it came from. `started` runs before global filters and routing,
 * `finished` once the response envelope is known (its body may still be
 * streaming). Neither may take long (both are on the hot path); one that
 * throws never fails the request.
 */
export interface RequestObserver {
  /** True when it reads the trace context (trace and span ids): the handler then gives each request one. */
  readonly traced?: boolean;
  started(request: RequestEnvelope, outcome: RequestOutcome): void;
  finished(request: RequestEnvelope, response: ResponseEnvelope, outcome: RequestOutcome): void;
}

/** The request's outcome record; undefined when nothing observes requests. */
export const requestOutcomeKey = createContextKey<RequestOutcome | undefined>(undefined, "request outcome");

/** A fresh record; with `traced`, the caller's trace context (or a new trace) and this request's own span id. */
export function newRequestOutcome(request: RequestEnvelope, traced: boolean): RequestOutcome {
  const caller = traced ? parseTraceparent(request.trace) : undefined;
  return {
    startedAt: performance.now(),
    finishedAt: 0,
    route: undefined,
    routeStart: 0,
    routeMatchMs: 0,
    service: undefined,
    upstreamProtocol: undefined,
    target: undefined,
    upstreamStart: 0,
    upstreamMs: -1,
    upstreamStatus: undefined,
    upstreamError: undefined,
    translations: [],
    translationMs: 0,
    rateLimited: false,
    traceId: traced ? (caller?.traceId ?? newTraceId()) : "",
    spanId: traced ? newSpanId() : "",
    parentSpanId: caller?.parentSpanId,
    sampled: caller?.sampled ?? traced,
    tracestate: caller === undefined ? undefined : request.trace?.tracestate,
    upstreamSpanId: "",
    span: undefined,
  };
}

/** For a policy that refuses a request (rate-limit): counted in rosetta_rate_limited_total. */
export function markRateLimited(request: RequestEnvelope): void {
  const outcome = request.context.get(requestOutcomeKey);
  if (outcome !== undefined) outcome.rateLimited = true;
}

/** The balancer names the target it chose (each try overwrites the last). */
export function noteUpstreamTarget(request: RequestEnvelope, target: string): void {
  const outcome = request.context.get(requestOutcomeKey);
  if (outcome !== undefined) outcome.target = target;
}

/** Starts a translation measurement: the start time, or 0 when nobody observes. */
export function translationStart(request: RequestEnvelope): number {
  return request.context.get(requestOutcomeKey) === undefined ? 0 : performance.now();
}

/** Ends a translation measurement begun by translationStart. */
export function translationEnd(request: RequestEnvelope, start: number): void {
  if (start === 0) return;
  const outcome = request.context.get(requestOutcomeKey);
  if (outcome === undefined) return;
  const end = performance.now();
  outcome.translations.push(start, end);
  outcome.translationMs += end - start;
}
