import { performance } from "node:perf_hooks";
import { errorResponse } from "../core/error-response.js";
import { GatewayError } from "../core/gateway-error.js";
import { composeFilters, type Filter, type Handler } from "../core/handler.js";
import type { RequestEnvelope, ResponseEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
import { newRequestOutcome, requestOutcomeKey, type RequestObserver } from "../observability/request-observer.js";
import { Router, type RouteEntry, type RouteOutcome } from "./router.js";

export interface CompiledRoute extends RouteEntry {
  /** The route's filters around its endpoint call. */
  readonly handler: Handler;
}

/**
 * The handler every listener calls: global filters, then routing, then the
 * route's own filters and endpoint. Whatever fails inside becomes an error
 * response here, so global filters see (and may decorate) every response,
 * and the returned promise never rejects. Observers (metrics, access log,
 * tracing) see every request start and finish; without one, nothing is
 * added to the path.
 */
export function createGatewayHandler(routes: readonly CompiledRoute[], globalFilters: readonly Filter[], observers: readonly RequestObserver[] = []): Handler {
  const router = new Router(routes);
  const dispatch = (request: RequestEnvelope, outcome: RouteOutcome<CompiledRoute>): Promise<ResponseEnvelope> => {
    if (outcome.kind === "matched") {
      request.params = outcome.params;
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
  let route: Handler = (request) => dispatch(request, router.match(request));
  if (observers.length > 0) {
    // Observed: the route match is timed and the route id recorded (the record is there: observe() made it).
    route = (request) => {
      const record = request.context.get(requestOutcomeKey);
      if (record === undefined) return dispatch(request, router.match(request));
      const matchStarted = performance.now();
      const outcome = router.match(request);
      record.routeStart = matchStarted;
      record.routeMatchMs = performance.now() - matchStarted;
      if (outcome.kind === "matched") record.route = outcome.route.id;
      return dispatch(request, outcome);
    };
  }
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
  return observers.length > 0 ? observe(handler, observers) : handler;
}

/**
 * Makes each request's outcome record (with the trace context when an
 * observer reads it) and tells every observer of the request's start and
 * finish. An observer that throws never fails the request nor silences the
 * others.
 */
function observe(handler: Handler, observers: readonly RequestObserver[]): Handler {
  const traced = observers.some((observer) => observer.traced === true);
  return (request) => {
    const outcome = newRequestOutcome(request, traced);
    request.context.set(requestOutcomeKey, outcome);
    for (const observer of observers) {
      try {
        observer.started(request, outcome);
      } catch {
        // Observing is best effort: the request goes on.
      }
    }
    return handler(request).then((response) => {
      outcome.finishedAt = performance.now();
      for (const observer of observers) {
        try {
          observer.finished(request, response, outcome);
        } catch {
          // As above: the response is sent whatever an observer did.
        }
      }
      return response;
    });
  };
}
