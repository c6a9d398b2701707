import type { ResponseEnvelope } from "../core/envelope.js";
import { errorResponse } from "../core/error-response.js";
import type { FilterFactory } from "./filter-factory.js";
import { compileHeaderRules, headerRuleNames, headerRulesSchema, type HeaderRules } from "./header-rules.js";

/**
 * Headers the listener chooses when it writes the body (the codec's
 * Content-Type, an event stream's Cache-Control): rules on them are kept
 * for the listener to write last. Only these: pinning every header would
 * undo what outer filters (CORS adding to Vary, say) do after this one.
 */
const chosenByListener = new Set(["content-type", "cache-control"]);

/**
 * Edits the headers the caller receives, on every response: JSON, XML and
 * SOAP replies, streams, and errors (a failure of what it wraps becomes the
 * error response here, so its rules reach that too).
 */
export const responseHeadersFilter: FilterFactory<HeaderRules> = {
  name: "response-headers",
  description: "rename, remove, set or add response headers before the caller sees them",
  optionsSchema: headerRulesSchema,
  create(options) {
    const apply = compileHeaderRules(options);
    const pinned = headerRuleNames(options).filter((name) => chosenByListener.has(name));
    const edit = (response: ResponseEnvelope): ResponseEnvelope => {
      apply(response.headers);
      if (pinned.length > 0) {
        const fixed = (response.fixedHeaders ??= {});
        for (const name of pinned) fixed[name] = response.headers[name];
      }
      return response;
    };
    return (next) => (request) => next(request).then(edit, (error: unknown) => edit(errorResponse(error)));
  },
};
