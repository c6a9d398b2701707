import type { RequestEnvelope, ResponseEnvelope } from "./envelope.js";

/** Everything that answers a request: a route's endpoint call, a filter-wrapped chain, the whole gateway. */
export type Handler = (request: RequestEnvelope) => Promise<ResponseEnvelope>;

/**
 * The one extension shape. A filter receives the next handler and returns a
 * handler that may change the request, the response, or answer by itself.
 */
export type Filter = (next: Handler) => Handler;

/**
 * Composes filters so that the first in the list is the outermost: it sees
 * the request first and the response last. Global filters come before a
 * route's, each list in the order written in the config.
 */
export function composeFilters(filters: readonly Filter[], handler: Handler): Handler {
  let composed = handler;
  for (let index = filters.length - 1; index >= 0; index--) composed = filters[index]!(composed);
  return composed;
}
