import { errorResponse } from "../core/error-response.js";
import { GatewayError } from "../core/gateway-error.js";
import { composeFilters, type Filter, type Handler } from "../core/handler.js";
import type { ResponseEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
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
export function createGatewayHandler(routes: readonly CompiledRoute[], globalFilters: readonly Filter[]): Handler {
  const router = new Router(routes);
  const route: Handler = (request) => {
    const outcome = router.match(request);
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
  if (globalFilters.length === 0) return route;
  const chain = composeFilters(globalFilters, route);
  return (request) => {
    let pending: Promise<ResponseEnvelope>;
    try {
      pending = chain(request);
    } catch (error) {
      return Promise.resolve(errorResponse(error));
    }
    return pending.catch(errorResponse);
  };
}
