import { ConfigErrorCode } from "../../options/error-codes.js";
import { boolean, byteSize, duration, integer, list, object, oneOf, optional, refine, registered, required, string, withDefault, type Infer } from "../../options/schema.js";
import { defaultProtoJsonOptions, protoJsonOptionsSchema } from "../../protojson/protojson-options.js";

const messageName = string({ pattern: /^[A-Za-z_][\w.]*$/, patternHint: 'a message name such as "shop.v1.Order"' });
import type { PathTemplate } from "../../pipeline/path-template.js";
import { ejectionSchema } from "../target-balancer.js";
import { circuitBreakerField } from "../circuit-breaker.js";
import { retrySchema } from "../retry-policy.js";
import { httpHealthCheckSchema, loadBalancerField, weightedTarget } from "../balancing-options.js";
import { upstreamTemplate } from "../upstream-path.js";
import { upstreamTlsSchema } from "../../tls/tls-options.js";

const origin = refine(string(), (value, context) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return context.report(ConfigErrorCode.VALUE, `"${value}" is not a URL such as "http://127.0.0.1:7001"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return context.report(ConfigErrorCode.VALUE, `"${value}" must use http or https`);
  if (url.pathname !== "/" || url.search !== "" || url.username !== "") {
    return context.report(ConfigErrorCode.VALUE, `"${value}" must be an origin only (scheme, host, port); put paths in routes`);
  }
  return url.origin;
});

const soapUpstreamSchema = object(
  {
    version: withDefault(oneOf(["1.1", "1.2"]), "1.1", "SOAP version the upstream speaks"),
    namespace: required(string({ pattern: /^\S+$/, patternHint: "a namespace URI" }), "namespace of the operation elements (the WSDL's targetNamespace)"),
  },
  "soap upstream",
);

export const httpServiceSchema = refine(
  object(
    {
      protocol: required(oneOf(["http"]), "http"),
      targets: required(list(weightedTarget(origin), { minItems: 1 }), 'origins such as "http://127.0.0.1:7001", or { url, weight }'),
      loadBalancer: loadBalancerField,
      healthCheck: optional(httpHealthCheckSchema, "active health checks: GET path on each target"),
      timeout: withDefault(duration({ min: 1 }), 15_000, "time from sending the request to the response headers, per attempt; → 504"),
      bodyTimeout: withDefault(duration(), 300_000, "longest silence while the response body streams; 0s disables"),
      connectTimeout: withDefault(duration({ min: 1 }), 5_000, "time to open a connection; → 503 and the next target"),
      transport: withDefault(oneOf(["rosetta", "undici"]), "rosetta", "the HTTP/1.1 client: Rosetta's own (leaner per request) or undici's Pool"),
      connections: withDefault(integer({ min: 1, max: 100_000 }), 256, "pooled keep-alive connections per target"),
      keepAliveTimeout: withDefault(duration({ min: 1 }), 4_000, "how long an idle pooled connection is kept (keep it below the upstream's own)"),
      retries: withDefault(integer({ min: 0, max: 10 }), 1, "retries on another target when a connection could not be opened (the request was never sent)"),
      preserveHost: withDefault(boolean(), false, "send the caller's Host instead of the target's (it is in X-Forwarded-Host either way)"),
      ejection: withDefault(ejectionSchema, { consecutiveFailures: 3, baseTime: 10_000, maxTime: 300_000 }, "passive health checking"),
      circuitBreaker: circuitBreakerField,
      codec: optional(
        registered("codec", { also: ["soap"] }),
        "what the upstream speaks; bodies in any other format are translated both ways (unset: bodies pass through, translated only when the caller sends or asks for another format than JSON)",
      ),
      soap: optional(soapUpstreamSchema, "the SOAP version and namespace, for codec: soap"),
      protos: withDefault(list(string()), [], ".proto files whose messages routes may name as requestType/responseType, relative to a protos.include root"),
      json: withDefault(protoJsonOptionsSchema, defaultProtoJsonOptions, "proto3 JSON mapping options for typed routes"),
      maxTranslatedBytes: withDefault(byteSize({ min: 1 }), 4 * 1024 * 1024, "largest body read whole to be translated between formats"),
      tls: optional(upstreamTlsSchema, "for https:// targets: the CA to verify them with, a client certificate (mTLS), the server name (without it: the system CAs)"),
    },
    "http service",
  ),
  (value, context) => {
    if (value.codec === "soap" && value.soap === undefined) return context.at("soap").report(ConfigErrorCode.REQUIRED, 'codec: soap needs soap: { namespace: "…" }');
    const plain = value.targets.findIndex(({ target }) => target.startsWith("http:"));
    if (value.tls !== undefined && plain >= 0) {
      return context.at("targets").at(plain).report(ConfigErrorCode.VALUE, `tls is set, but "${value.targets[plain]!.target}" is not an https:// target`);
    }
    return value;
  },
);

export type HttpServiceOptions = Infer<typeof httpServiceSchema>;

export const httpUpstreamSchema = object(
  {
    path: optional(upstreamTemplate, "upstream path template, e.g. /v2/orders/{id}; variables come from the route's path, then headers, query, JSON body (default: the request path)"),
    method: optional(string({ pattern: /^[A-Z]+$/, patternHint: "an upper-case HTTP method" }), "send this method instead of the caller's"),
    timeout: optional(duration({ min: 1 }), "overrides the service's timeout for this route"),
    retry: optional(retrySchema, "retry failed calls (idempotent methods only unless `methods` says otherwise); the timeout then bounds all tries together"),
    requestType: optional(messageName, "proto message the request body is (types XML both ways; needs the service's protos)"),
    responseType: optional(messageName, "proto message the response body is"),
    xml: optional(
      object(
        {
          root: withDefault(string({ pattern: /^[A-Za-z_][\w.-]*$/, patternHint: "an XML name" }), "root", "root element name of XML written without a proto type"),
          lists: withDefault(
            list(string({ pattern: /^[A-Za-z_][\w.-]*$/, patternHint: "a dotted element path such as items or order.lines.line" })),
            [],
            "element paths below the root that are lists even with one or no element",
          ),
        },
        "xml convention",
      ),
      "how XML without a proto type maps to JSON",
    ),
    soap: optional(
      object(
        {
          operation: required(string({ pattern: /^[A-Za-z_][\w.-]*$/, patternHint: "an XML name" }), "the operation element in the request Body"),
          action: optional(string(), "SOAPAction / action sent (default <namespace>/<operation>)"),
        },
        "soap operation",
      ),
      "the SOAP operation this route calls (codec: soap services)",
    ),
  },
  "http upstream",
);

export type HttpUpstreamOptions = Omit<Infer<typeof httpUpstreamSchema>, "path"> & { readonly path: PathTemplate | undefined };
