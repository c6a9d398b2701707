import { integer, list, object, optional, required, type Infer } from "../options/schema.js";
import type { FilterFactory } from "./filter-factory.js";

const httpStatus = integer({ min: 100, max: 599 });

const setStatusSchema = object(
  {
    to: required(httpStatus, "the status the caller receives"),
    from: optional(list(httpStatus, { minItems: 1 }), "only responses with one of these statuses (default: every response)"),
  },
  "set-status options",
);

/** Rewrites the response status, e.g. an upstream's 404 into 410: `- set-status: { from: [404], to: 410 }`. */
export const setStatusFilter: FilterFactory<Infer<typeof setStatusSchema>> = {
  name: "set-status",
  description: "rewrite the response status, for all responses or those with given statuses",
  optionsSchema: setStatusSchema,
  create({ to, from }) {
    const statuses = from === undefined ? undefined : new Set(from);
    return (next) => (request) =>
      next(request).then((response) => {
        if (statuses === undefined || statuses.has(response.status)) response.status = to;
        return response;
      });
  },
};
