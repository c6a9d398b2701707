import { performance } from "node:perf_hooks";
import type { CallRecord } from "./call-record.js";
import { callRecordKey } from "./call-record.js";
import type { RequestObserver } from "./request-observer.js";
import { newSpanId, newTraceId, parseTraceparent } from "./trace-context.js";

/**
 * The observer that opens each request's call record: the caller's trace
 * (or a new one) and this request's own span id. It runs first, so the
 * tracer can take over the span id and the access log reads the result.
 * Without tracing, this is all the trace context costs: an id or two.
 */
export const callRecords: RequestObserver = {
  started(request) {
    const caller = parseTraceparent(request.trace);
    const record: CallRecord = {
      traceId: caller?.traceId ?? newTraceId(),
      spanId: newSpanId(),
      parentSpanId: caller?.parentSpanId,
      sampled: caller?.sampled ?? true,
      tracestate: caller === undefined ? undefined : request.trace?.tracestate,
      startTime: performance.now(),
      routeStart: 0,
      routeEnd: 0,
      upstream: undefined,
      translations: [],
      translationMs: 0,
      span: undefined,
    };
    request.context.set(callRecordKey, record);
  },
  finished() {},
};
