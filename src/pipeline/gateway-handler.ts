import { errorResponse } from "../core/error-response.js";
import { GatewayError } from "../core/gateway-error.js";
import { composeFilters, type Filter, type Handler } from "../core/handler.js";
import type { ResponseEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
import { newRequestOutcome, requestOutcomeKey, type RequestObserver } from "../observability/request-observer.js";
import { Router, type RouteEntry } from "./router.js";

export interface CompiledRoute extends RouteEntry {
  /** The route's filters around its endpoint call. */
  readonly handler: Handler;
}

/**
 * The handler every listener calls: global filters, then routing, then the
 * route's own filters and endpoint. Whatever fails inside becomes an error
 * response here, so global filters see (and may decorate) every response,
 * and the returned promise never rejects.
 */
export function createGatewayHandler(routes: readonly CompiledRoute[], globalFilters: readonly Filter[], observers: readonly RequestObserver[] = []): Handler {
  const router = new Router(routes);
  const observed = observers.length > 0;
  const route: Handler = (request) => {
    const record = observed ? request.context.get(requestOutcomeKey) : undefined;
    const matchStarted = record === undefined ? 0 : performance.now();
    const outcome = router.match(request);
    if (record !== undefined) record.routeMatchMs = performance.now() - matchStarted;
    if (outcome.kind === "matched") {
      if (record !== undefined) record.route = outcome.route.id;
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
  return observed ? observe(handler, observers) : handler;
}

/** Tells every observer of each request's start and finish, with the outcome record the pipeline filled. */
function observe(handler: Handler, observers: readonly RequestObserver[]): Handler {
  return (request) => {
    const outcome = newRequestOutcome();
    request.context.set(requestOutcomeKey, outcome);
    for (const observer of observers) observer.started(request);
    return handler(request).then((response) => {
      outcome.finishedAt = performance.now();
      for (const observer of observers) observer.finished(request, response, outcome);
      return response;
    });
  };
}
