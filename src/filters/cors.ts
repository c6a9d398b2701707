import { emptyBody } from "../core/body.js";
import { errorResponse } from "../core/error-response.js";
import { headerText, type HeaderMap, type ResponseEnvelope } from "../core/envelope.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { boolean, duration, list, object, optional, refine, required, string, withDefault, type Infer } from "../options/schema.js";
import type { FilterFactory } from "./filter-factory.js";

const origin = refine(string(), (value, context) => {
  if (value === "*" || /^https?:\/\/[^/?#\s]+$/i.test(value)) return value;
  return context.report(ConfigErrorCode.VALUE, `"${value}" is not an origin: scheme://host[:port] ("https://app.example.com"), a pattern ("https://*.example.com"), or "*"`);
});
const token = string({ pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, patternHint: "an HTTP token such as GET or content-type" });

const corsSchema = object(
  {
    origins: required(
      list(origin, { minItems: 1 }),
      'origins allowed: exact ("https://app.example.com"), a pattern where * stands for one or more host labels ("https://*.example.com"), or "*" for any',
    ),
    methods: withDefault(list(token, { minItems: 1 }), ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"], "methods a preflight allows"),
    headers: optional(list(token), "request headers a preflight allows; default: those the preflight asks for"),
    exposeHeaders: withDefault(list(token), [], "response headers the browser lets scripts read"),
    credentials: withDefault(boolean(), false, "allow cookies and HTTP authentication; `origins` cannot then be *"),
    maxAge: optional(duration(), "how long a browser may cache a preflight answer (Access-Control-Max-Age, in whole seconds)"),
  },
  "cors options",
);

export type CorsOptions = Infer<typeof corsSchema>;

/** `https://*.example.com`: the * is one or more host labels; everything else is literal, compared case-insensitively. */
function originPattern(pattern: string): RegExp {
  const escaped = pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replaceAll("*", "[a-z0-9-]+(?:\\.[a-z0-9-]+)*")}$`);
}

/** Adds a name to Vary without repeating it. */
function addVary(headers: HeaderMap, name: string): void {
  const vary = headerText(headers.vary);
  if (vary === undefined || vary === "") headers.vary = name;
  else if (
    vary.trim() !== "*" &&
    !vary
      .toLowerCase()
      .split(",")
      .some((part) => part.trim() === name.toLowerCase())
  )
    headers.vary = `${vary}, ${name}`;
}

const corsResponseHeaders = [
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-expose-headers",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-max-age",
];

/**
 * Cross-origin resource sharing: `- cors: { origins: [https://app.example.com], credentials: true }`.
 * A preflight (OPTIONS with Access-Control-Request-Method) is answered here
 * with 204 and never reaches a route; as a global filter it runs before
 * routing, so it answers preflights on every path. An origin that is not
 * allowed gets no CORS headers at all (its preflight is still a 204), and
 * CORS headers the upstream sent are dropped for it. Vary: Origin is on every
 * reply unless any origin is allowed.
 */
export const corsFilter: FilterFactory<CorsOptions> = {
  name: "cors",
  description: "answer CORS preflights and add CORS headers for allowed origins",
  optionsSchema: corsSchema,
  create(options, context) {
    const anyOrigin = options.origins.includes("*");
    if (anyOrigin && options.credentials) {
      throw new ConfigError([
        {
          code: ConfigErrorCode.VALUE,
          path: `${context.configPath}.credentials`,
          message: 'credentials cannot be allowed for any origin ("*"): list the origins that may send cookies or credentials',
        },
      ]);
    }
    const exact = new Set(options.origins.filter((entry) => !entry.includes("*")).map((entry) => entry.toLowerCase()));
    const patterns = options.origins.filter((entry) => entry !== "*" && entry.includes("*")).map(originPattern);
    const allowed = (value: string): boolean => {
      if (anyOrigin) return true;
      const lower = value.toLowerCase();
      return exact.has(lower) || patterns.some((pattern) => pattern.test(lower));
    };
    const allowMethods = options.methods.join(", ");
    const allowHeaders = options.headers?.join(", ");
    const exposeHeaders = options.exposeHeaders.length === 0 ? undefined : options.exposeHeaders.join(", ");
    const maxAge = options.maxAge === undefined ? undefined : String(Math.floor(options.maxAge / 1000));
    const allowOrigin = (value: string) => (anyOrigin ? "*" : value);

    const decorate = (response: ResponseEnvelope, requestOrigin: string | undefined): ResponseEnvelope => {
      const headers = response.headers;
      if (!anyOrigin) addVary(headers, "Origin");
      if (requestOrigin === undefined || !allowed(requestOrigin)) {
        for (const name of corsResponseHeaders) if (headers[name] !== undefined) headers[name] = undefined;
        return response;
      }
      headers["access-control-allow-origin"] = allowOrigin(requestOrigin);
      if (options.credentials) headers["access-control-allow-credentials"] = "true";
      if (exposeHeaders !== undefined) headers["access-control-expose-headers"] = exposeHeaders;
      return response;
    };

    return (next) => (request) => {
      const requestOrigin = headerText(request.headers.origin);
      if (request.method === "OPTIONS" && requestOrigin !== undefined && request.headers["access-control-request-method"] !== undefined) {
        const headers: HeaderMap = {};
        if (!anyOrigin) headers.vary = "Origin";
        if (allowed(requestOrigin)) {
          headers["access-control-allow-origin"] = allowOrigin(requestOrigin);
          if (options.credentials) headers["access-control-allow-credentials"] = "true";
          headers["access-control-allow-methods"] = allowMethods;
          const requested = headerText(request.headers["access-control-request-headers"]);
          if (allowHeaders !== undefined) headers["access-control-allow-headers"] = allowHeaders;
          else if (requested !== undefined && requested !== "") {
            headers["access-control-allow-headers"] = requested;
            addVary(headers, "Access-Control-Request-Headers");
          }
          if (maxAge !== undefined) headers["access-control-max-age"] = maxAge;
        }
        return Promise.resolve({ status: 204, headers, body: emptyBody });
      }
      // A failure becomes its error response here, so a route's errors carry CORS headers too (browsers hide them otherwise).
      return next(request)
        .catch(errorResponse)
        .then((response) => decorate(response, requestOrigin));
    };
  },
};
