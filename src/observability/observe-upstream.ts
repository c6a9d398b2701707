import { performance } from "node:perf_hooks";
import type { Handler } from "../core/handler.js";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { callRecordKey, type UpstreamRecord } from "./call-record.js";
import type { Logger } from "./logger.js";
import { routeIdKey } from "./request-observer.js";
import { formatTraceparent } from "./trace-context.js";

/**
 * Wraps a route's endpoint call. A failed call is logged once at warn with
 * its cause, whatever else is configured. When the request is observed
 * (access log or tracing), the call is recorded and the trace context goes
 * upstream as the child of this request (HTTP headers, gRPC metadata and TCP
 * frame headers are all built from the request's headers).
 */
export function observeUpstream(service: string, protocol: string, handler: Handler, logger: Logger): Handler {
  const failed = (request: Parameters<Handler>[0], error: unknown, upstream: UpstreamRecord | undefined) => {
    const failure = GatewayError.from(error);
    if (upstream !== undefined) {
      upstream.end = performance.now();
      upstream.status = failure.httpStatus;
      upstream.error = failure;
    }
    if (!request.cancellation.cancelled) {
      const record = request.context.get(callRecordKey);
      logger.warn("upstream call failed", {
        requestId: request.requestId,
        traceId: record?.traceId,
        route: request.context.get(routeIdKey),
        service,
        target: upstream?.target,
        code: StatusCode[failure.code],
        status: failure.httpStatus,
        cause: failure.message,
      });
    }
    return failure;
  };
  return (request) => {
    const record = request.context.get(callRecordKey);
    if (record === undefined) {
      return handler(request).catch((error: unknown) => {
        throw failed(request, error, undefined);
      });
    }
    const upstream: UpstreamRecord = { service, protocol, target: undefined, start: performance.now(), end: 0, spanId: record.spanId, status: undefined, error: undefined };
    record.upstream = upstream;
    if (record.span !== undefined) upstream.spanId = record.span.startUpstream(upstream);
    request.headers.traceparent = formatTraceparent(record.traceId, upstream.spanId, record.sampled);
    if (record.tracestate !== undefined) request.headers.tracestate = record.tracestate;
    return handler(request).then(
      (response) => {
        upstream.end = performance.now();
        upstream.status = response.status;
        upstream.error = response.error;
        record.span?.endUpstream(upstream);
        return response;
      },
      (error: unknown) => {
        const failure = failed(request, error, upstream);
        record.span?.endUpstream(upstream);
        throw failure;
      },
    );
  };
}
