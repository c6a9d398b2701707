import { createHash, timingSafeEqual } from "node:crypto";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../options/error-codes.js";
import { boolean, list, map, object, optional, refine, required, string, withDefault, type Infer } from "../options/schema.js";
import { quoted, realmSchema, unauthenticated } from "./auth/challenge.js";
import { headerName } from "./auth/header-name.js";
import { secretString } from "./auth/secret-string.js";
import { headerValue, queryValue, withoutQueryParameter } from "./auth/request-parts.js";
import { consumerKey } from "./consumer.js";
import type { FilterFactory } from "./filter-factory.js";

const secret = secretString(/^\S{1,4096}$/, "a key of 1 to 4096 characters without spaces");

const consumerSchema = refine(
  object(
    {
      key: optional(secret, "this consumer's key"),
      keys: optional(list(secret, { minItems: 1 }), "several keys for this consumer, e.g. the old and the new one while rotating"),
    },
    "api-key consumer",
  ),
  (value, context) => (value.key === undefined && value.keys === undefined ? context.report(ConfigErrorCode.REQUIRED, 'a consumer needs "key" or "keys"') : value),
);

const apiKeySchema = object(
  {
    header: withDefault(headerName, "x-api-key", "the request header that carries the key"),
    query: optional(string({ pattern: /^[^&=#\s]+$/, patternHint: "a query parameter name" }), "also accept the key from this query parameter (the header wins when both are sent)"),
    consumers: required(map(consumerSchema, { keyPattern: /^[\x21-\x7e]{1,128}$/, keyHint: "a consumer name of 1 to 128 visible ASCII characters" }), "consumer name → { key } or { keys: [...] }"),
    forward: optional(headerName, "send the consumer's name upstream in this header (a caller-sent copy is always removed)"),
    keepKey: withDefault(boolean(), false, "send the key upstream too (by default it is removed from the headers and the query)"),
    realm: withDefault(realmSchema, "rosetta", "the realm named in WWW-Authenticate"),
  },
  "api-key options",
);

type ApiKeyOptions = Infer<typeof apiKeySchema>;

/** A key's SHA-256: the table is keyed by it, so a lookup never compares the key itself. */
const digest = (key: string) => createHash("sha256").update(key).digest();

/**
 * API keys: `- api-key: { header: x-api-key, consumers: { alice: { key: "…" } }, forward: x-consumer }`.
 * The table (key digest → consumer) is built once; a request costs one
 * SHA-256, one map lookup and one constant-time comparison of digests.
 */
export const apiKeyFilter: FilterFactory<ApiKeyOptions> = {
  name: "api-key",
  description: "authenticate callers by an API key in a header or query parameter; 401 otherwise",
  optionsSchema: apiKeySchema,
  create(options, context) {
    const table = new Map<string, { readonly consumer: string; readonly digest: Buffer }>();
    const problems: ConfigProblem[] = [];
    for (const [consumer, entry] of Object.entries(options.consumers)) {
      for (const key of [...(entry.key === undefined ? [] : [entry.key]), ...(entry.keys ?? [])]) {
        const keyDigest = digest(key);
        const id = keyDigest.toString("hex");
        const owner = table.get(id);
        // The message names the consumers, never the key.
        if (owner !== undefined && owner.consumer !== consumer) {
          problems.push({ code: ConfigErrorCode.VALUE, path: `${context.configPath}.consumers.${consumer}`, message: `consumers "${owner.consumer}" and "${consumer}" share a key` });
        }
        table.set(id, { consumer, digest: keyDigest });
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    const { header, query, forward, keepKey } = options;
    const challenge = `ApiKey realm=${quoted(options.realm)}`;
    const where = query === undefined ? `the ${header} header` : `the ${header} header or the ${query} query parameter`;
    return (next) => (request) => {
      if (forward !== undefined) delete request.headers[forward];
      let key = headerValue(request.headers, header);
      if (key === undefined && query !== undefined) key = queryValue(request.rawQuery, query);
      if (key === undefined || key === "") throw unauthenticated(`an API key is required in ${where}`, challenge);
      const presented = digest(key);
      const entry = table.get(presented.toString("hex"));
      if (entry === undefined || !timingSafeEqual(entry.digest, presented)) throw unauthenticated("the API key is not valid", challenge);
      if (!keepKey) {
        delete request.headers[header];
        if (query !== undefined) request.rawQuery = withoutQueryParameter(request.rawQuery, query);
      }
      if (forward !== undefined) request.headers[forward] = entry.consumer;
      request.context.set(consumerKey, entry.consumer);
      return next(request);
    };
  },
};
