import { performance } from "node:perf_hooks";
import type { Handler } from "../core/handler.js";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import type { Logger } from "./logger.js";
import { requestOutcomeKey, type RequestOutcome } from "./request-observer.js";
import { formatTraceparent } from "./trace-context.js";

/**
 * Wraps a route's endpoint call. A failed call is logged once at warn with
 * its cause, whatever else is configured. When the request is observed, the
 * call's service and time go on the request's outcome record; when the trace
 * context is kept, it goes upstream as the child of this request (HTTP
 * headers, gRPC metadata and TCP frame headers are all built from the
 * request's headers) and the tracer's client span covers the call.
 */
export function observeUpstream(service: string, protocol: string, handler: Handler, logger: Logger): Handler {
  const failed = (request: Parameters<Handler>[0], error: unknown, outcome: RequestOutcome | undefined) => {
    const failure = GatewayError.from(error);
    if (outcome !== undefined) {
      outcome.upstreamMs = performance.now() - outcome.upstreamStart;
      outcome.upstreamStatus = failure.httpStatus;
      outcome.upstreamError = failure;
      outcome.span?.endUpstream(outcome);
    }
    if (!request.cancellation.cancelled) {
      logger.warn("upstream call failed", {
        requestId: request.requestId,
        traceId: outcome?.traceId || undefined,
        route: outcome?.route,
        service,
        target: outcome?.target,
        code: StatusCode[failure.code],
        status: failure.httpStatus,
        cause: failure.message,
      });
    }
    return failure;
  };
  return (request) => {
    const outcome = request.context.get(requestOutcomeKey);
    if (outcome === undefined) {
      return handler(request).catch((error: unknown) => {
        throw failed(request, error, undefined);
      });
    }
    outcome.service = service;
    outcome.upstreamProtocol = protocol;
    outcome.upstreamStart = performance.now();
    if (outcome.traceId !== "") {
      outcome.upstreamSpanId = outcome.span === undefined ? outcome.spanId : outcome.span.startUpstream(outcome);
      request.headers.traceparent = formatTraceparent(outcome.traceId, outcome.upstreamSpanId, outcome.sampled);
      if (outcome.tracestate !== undefined) request.headers.tracestate = outcome.tracestate;
    }
    return handler(request).then(
      (response) => {
        outcome.upstreamMs = performance.now() - outcome.upstreamStart;
        outcome.upstreamStatus = response.status;
        outcome.upstreamError = response.error;
        outcome.span?.endUpstream(outcome);
        return response;
      },
      (error: unknown) => {
        throw failed(request, error, outcome);
      },
    );
  };
}
