import { randomUUID } from "node:crypto";
import type { HeaderMap, TraceContext } from "../core/envelope.js";

/** A request id the caller may choose: short, printable, no separators that could break a log line. */
const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/;
const validTraceparent = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The caller's X-Request-Id when it is acceptable, else a fresh one. */
export function requestIdOf(headers: HeaderMap): string {
  const offered = headers["x-request-id"];
  return typeof offered === "string" && validRequestId.test(offered) ? offered : randomUUID();
}

/** The caller's W3C trace context when its traceparent is well-formed. */
export function traceOf(headers: HeaderMap): TraceContext | undefined {
  const traceparent = headers.traceparent;
  return typeof traceparent === "string" && validTraceparent.test(traceparent) ? { traceparent, tracestate: typeof headers.tracestate === "string" ? headers.tracestate : undefined } : undefined;
}
