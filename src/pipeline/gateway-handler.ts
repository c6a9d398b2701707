import { performance } from "node:perf_hooks";
import { errorResponse } from "../core/error-response.js";
import { GatewayError } from "../core/gateway-error.js";
import { composeFilters, type Filter, type Handler } from "../core/handler.js";
import type { ResponseEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
import { callRecordKey } from "../observability/call-record.js";
import { routeIdKey, type RequestObserver } from "../observability/request-observer.js";
import { Router, type RouteEntry } from "./router.js";

export interface CompiledRoute extends RouteEntry {
  /** The route's filters around its endpoint call. */
  readonly handler: Handler;
}

/**
 * The handler every listener calls: global filters, then routing, then the
 * route's own filters and endpoint. Whatever fails inside becomes an error
 * response here, so global filters see (and may decorate) every response,
 * and the returned promise never rejects. An observer (access log, tracing,
 * metrics) sees every request start and finish; without one nothing is added.
 */
export function createGatewayHandler(routes: readonly CompiledRoute[], globalFilters: readonly Filter[], observer?: RequestObserver): Handler {
  const router = new Router(routes);
  const route: Handler = (request) => {
    const record = observer === undefined ? undefined : request.context.get(callRecordKey);
    let outcome: ReturnType<typeof router.match>;
    if (record === undefined) outcome = router.match(request);
    else {
      record.routeStart = performance.now();
      outcome = router.match(request);
      record.routeEnd = performance.now();
    }
    if (outcome.kind === "matched") {
      request.params = outcome.params;
      if (observer !== undefined) request.context.set(routeIdKey, outcome.route.id);
      try {
        return outcome.route.handler(request).catch(errorResponse);
      } catch (error) {
        return Promise.resolve(errorResponse(error));
      }
    }
    if (outcome.kind === "method-not-allowed") {
      return Promise.resolve(
        errorResponse(
          new GatewayError(StatusCode.UNIMPLEMENTED, `method ${request.method} is not allowed on ${request.path}; allowed: ${outcome.allow.join(", ")}`, {
            httpStatus: 405,
            metadata: { allow: outcome.allow.join(", ") },
          }),
        ),
      );
    }
    return Promise.resolve(errorResponse(new GatewayError(StatusCode.NOT_FOUND, `no route for ${request.method} ${request.path}`)));
  };
  let handler = route;
  if (globalFilters.length > 0) {
    const chain = composeFilters(globalFilters, route);
    handler = (request) => {
      let pending: Promise<ResponseEnvelope>;
      try {
        pending = chain(request);
      } catch (error) {
        return Promise.resolve(errorResponse(error));
      }
      return pending.catch(errorResponse);
    };
  }
  return observer === undefined ? handler : observed(handler, observer);
}

/** The handler with the observer told of each request's start and end; an observer that throws never fails the request. */
function observed(handler: Handler, observer: RequestObserver): Handler {
  return (request) => {
    const startedAt = Date.now();
    const start = performance.now();
    try {
      observer.started(request);
    } catch {
      // Observing is best effort: the request goes on.
    }
    return handler(request).then((response) => {
      const record = request.context.get(callRecordKey);
      const routeMatchMs = record === undefined || record.routeEnd === 0 ? 0 : record.routeEnd - record.routeStart;
      try {
        observer.finished(request, response, { startedAt, durationMs: performance.now() - start, routeMatchMs });
      } catch {
        // As above: the response is sent whatever an observer did.
      }
      return response;
    });
  };
}
