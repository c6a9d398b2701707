import type { FilterFactory } from "./filter-factory.js";
import { compileHeaderRules, headerRulesSchema, type HeaderRules } from "./header-rules.js";

/** Edits the headers the caller receives, on every response including errors. */
export const responseHeadersFilter: FilterFactory<HeaderRules> = {
  name: "response-headers",
  description: "rename, remove, set or add response headers before the caller sees them",
  optionsSchema: headerRulesSchema,
  create(options) {
    const apply = compileHeaderRules(options);
    return (next) => (request) =>
      next(request).then((response) => {
        apply(response.headers);
        return response;
      });
  },
};
