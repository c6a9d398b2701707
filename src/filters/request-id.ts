import { boolean, object, string, withDefault, type Infer } from "../options/schema.js";
import type { FilterFactory } from "./filter-factory.js";

const requestIdSchema = object(
  {
    header: withDefault(string({ pattern: /^[a-z0-9-]+$/, patternHint: "a lower-case header name" }), "x-request-id", "the header that carries the id"),
    echo: withDefault(boolean(), true, "also return the id to the caller in a response header"),
  },
  "request-id options",
);

const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id and sends it upstream. A caller's own id is kept
 * when it is valid (1–128 of A-Z a-z 0-9 . _ : -); otherwise the listener's
 * generated UUID is used, so a forged value cannot inject into logs.
 */
export const requestIdFilter: FilterFactory<Infer<typeof requestIdSchema>> = {
  name: "request-id",
  description: "keep a valid caller-sent request id or add a new one, upstream and (by default) on the response",
  optionsSchema: requestIdSchema,
  create({ header, echo }) {
    return (next) => (request) => {
      const offered = request.headers[header];
      const id = typeof offered === "string" && validRequestId.test(offered) ? offered : request.requestId;
      request.headers[header] = id;
      if (!echo) return next(request);
      return next(request).then((response) => {
        response.headers[header] = id;
        return response;
      });
    };
  },
};
