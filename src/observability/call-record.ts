import { performance } from "node:perf_hooks";
import { createContextKey } from "../core/context.js";
import type { RequestEnvelope } from "../core/envelope.js";
import type { GatewayError } from "../core/gateway-error.js";

/**
 * What the access log and tracing learn about one request beyond its
 * envelope: its place in the trace, the upstream call, the time spent
 * translating bodies. It exists only when one of them is configured; the
 * pipeline, codecs and endpoints fill it in through the helpers below, which
 * do nothing when it is absent.
 */
export interface CallRecord {
  /** The caller's trace, or a new one (the tracer's, when tracing is on). */
  traceId: string;
  /** This request's own (server) span. */
  spanId: string;
  /** The caller's span, when the caller sent a traceparent. */
  readonly parentSpanId: string | undefined;
  sampled: boolean;
  readonly tracestate: string | undefined;
  /** performance.now() when the gateway handler took the request. */
  readonly startTime: number;
  routeStart: number;
  routeEnd: number;
  /** Set once the route's endpoint is called. */
  upstream: UpstreamRecord | undefined;
  /** Codec work, [start, end] pairs of performance.now() (kept for spans), and their sum in ms. */
  readonly translations: number[];
  translationMs: number;
  /** The tracer's per-request handle, when tracing is on. */
  span: RequestSpan | undefined;
}

export interface UpstreamRecord {
  readonly service: string;
  /** The endpoint kind: http, grpc, tcp. */
  readonly protocol: string;
  /** The target the endpoint chose (origin, host:port). */
  target: string | undefined;
  readonly start: number;
  end: number;
  /** The span id sent upstream as the parent (the client span, or the request's own span without tracing). */
  spanId: string;
  status: number | undefined;
  error: GatewayError | undefined;
}

/** The tracer's side of one request (an OpenTelemetry server span and what hangs off it). */
export interface RequestSpan {
  /** Starts the client span of the upstream call; returns its span id, which goes upstream as the parent. */
  startUpstream(upstream: UpstreamRecord): string;
  endUpstream(upstream: UpstreamRecord): void;
}

export const callRecordKey = createContextKey<CallRecord | undefined>(undefined, "the observability call record");

/** Starts a translation measurement: the start time, or 0 when nobody records. */
export function translationStart(request: RequestEnvelope): number {
  return request.context.get(callRecordKey) === undefined ? 0 : performance.now();
}

/** Ends a translation measurement begun by translationStart. */
export function translationEnd(request: RequestEnvelope, start: number): void {
  if (start === 0) return;
  const record = request.context.get(callRecordKey);
  if (record === undefined) return;
  const end = performance.now();
  record.translations.push(start, end);
  record.translationMs += end - start;
}

/** The endpoint names the target it chose (each try overwrites the last). */
export function noteUpstreamTarget(request: RequestEnvelope, target: string): void {
  const upstream = request.context.get(callRecordKey)?.upstream;
  if (upstream !== undefined) upstream.target = target;
}
