import { valueBody, type Body } from "../core/body.js";
import type { HeaderMap } from "../core/envelope.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { anything, boolean, integer, map, object, optional, string, withDefault, type Infer } from "../options/schema.js";
import { canonicalValue } from "../protojson/message-shape.js";
import type { FilterFactory } from "./filter-factory.js";
import { generateMessage } from "./message-generator.js";

const mockSchema = object(
  {
    status: withDefault(integer({ min: 100, max: 599 }), 200, "the status the caller receives"),
    headers: withDefault(map(string()), {}, "response headers"),
    body: optional(anything("response body"), "the response body as data (JSON/YAML); the caller's codec writes it (JSON, XML, frames)"),
    generate: withDefault(boolean(), false, "answer a plausible message made from the route's proto response type instead of `body`"),
    seed: withDefault(integer({ min: 0 }), 1, "the generated message's seed: the same seed gives the same message"),
    maxDepth: withDefault(integer({ min: 0, max: 32 }), 3, "how deep nested messages are generated; deeper message fields are left out"),
  },
  "mock options",
);

/**
 * Answers the route by itself, without calling the upstream, so a front end
 * can be built before its service exists: `- mock: { status: 200, body: {…} }`
 * or `- mock: { generate: true }`. The reply is a value: each caller receives
 * it in its own format (JSON, XML, SOAP, frames). Everything is built here,
 * once; each request gets a fresh copy of the headers.
 */
export const mockFilter: FilterFactory<Infer<typeof mockSchema>> = {
  name: "mock",
  description: "answer with a fixed response, or a message generated from the route's proto response type, without calling the upstream",
  optionsSchema: mockSchema,
  create(options, context) {
    const problem = (path: string, code: ConfigErrorCode, message: string) => new ConfigError([{ code, path: `${context.configPath}${path}`, message }]);
    const shape = context.route?.responseShape;
    let body: Body | undefined;
    if (options.generate) {
      if (options.body !== undefined) throw problem(".body", ConfigErrorCode.VALUE, "give either body or generate: true, not both");
      if (shape === undefined) {
        throw problem(".generate", ConfigErrorCode.REFERENCE, "generate needs the route's response type (a gRPC method, or an http route's upstream.responseType)");
      }
      const message = generateMessage(shape.type, { seed: options.seed, maxDepth: options.maxDepth, useProtoNames: shape.protoJson.options.useProtoNames });
      // Through the route's own mapping: the message is checked and written as the upstream's reply would be.
      const canonical = canonicalValue(message, { ...shape, field: undefined }) as Record<string, unknown>;
      const key = shape.field === undefined ? undefined : shape.protoJson.options.useProtoNames ? shape.field.protoName : shape.field.jsonName;
      body = valueBody(key === undefined ? canonical : (canonical[key] ?? null), shape);
    } else if (options.body !== undefined) {
      let value: unknown = options.body;
      // A body for a typed route must fit the type: found now rather than by the first XML caller.
      if (shape !== undefined && shape.field === undefined) {
        try {
          value = canonicalValue(value, shape);
        } catch (error) {
          throw problem(".body", ConfigErrorCode.VALUE, `the body is not a ${shape.type.fullName.slice(1)}: ${(error as Error).message}`);
        }
      }
      body = valueBody(value, shape);
    }
    const { status } = options;
    const headers = options.headers;
    return () => async () => ({ status, headers: { ...headers } as HeaderMap, body: body ?? { kind: "empty" } });
  },
};
