import type { FilterFactory } from "./filter-factory.js";
import { compileHeaderRules, headerRulesSchema, type HeaderRules } from "./header-rules.js";

/** Edits the headers sent upstream: `- request-headers: { set: {x-env: prod}, remove: [x-debug] }`. */
export const requestHeadersFilter: FilterFactory<HeaderRules> = {
  name: "request-headers",
  description: "rename, remove, set or add request headers before the upstream sees them",
  optionsSchema: headerRulesSchema,
  create(options) {
    const apply = compileHeaderRules(options);
    return (next) => (request) => {
      apply(request.headers);
      return next(request);
    };
  },
};
