import { ConfigErrorCode } from "../../options/error-codes.js";
import { boolean, byteSize, duration, integer, list, map, object, oneOf, optional, refine, required, string, withDefault, type Infer } from "../../options/schema.js";
import { protoJsonOptionsSchema, defaultProtoJsonOptions } from "../../protojson/protojson-options.js";
import { ejectionSchema } from "../target-balancer.js";
import { circuitBreakerField } from "../circuit-breaker.js";
import { retrySchema } from "../retry-policy.js";
import { upstreamTlsSchema } from "../../tls/tls-options.js";
import { grpcHealthCheckSchema, loadBalancerField, weightedTarget } from "../balancing-options.js";

const target = string({ pattern: /^\S+$/, patternHint: 'a gRPC target such as "127.0.0.1:50051" or "dns:///orders:50051"' });
const streamFormat = oneOf(["ndjson", "sse", "array"]);
const httpStatus = integer({ min: 200, max: 299 });
const methodPath = string({ pattern: /^[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/, patternHint: 'a method path such as "bookstore.v1.Bookstore/GetShelf"' });

export const defaultForwardedHeaders = ["authorization", "x-request-id", "traceparent", "tracestate", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"];

const soapFacadeSchema = object(
  {
    path: required(string({ pattern: /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/, patternHint: 'a path such as "/soap"' }), "path prefix of the SOAP endpoints"),
    namespace: optional(string({ pattern: /^\S+$/, patternHint: "a namespace URI" }), 'targetNamespace of the WSDL and of response elements (default "urn:<package>.<Service>")'),
  },
  "soap facade",
);

export const grpcServiceSchema = refine(
  object(
    {
      protocol: required(oneOf(["grpc"]), "grpc"),
      targets: required(list(weightedTarget(target), { minItems: 1 }), "gRPC targets (host:port), or { url, weight }; one channel per target"),
      loadBalancer: loadBalancerField,
      healthCheck: optional(grpcHealthCheckSchema, "active health checks: grpc.health.v1.Health/Check on each target"),
      ejection: withDefault(
        ejectionSchema,
        { consecutiveFailures: 3, baseTime: 10_000, maxTime: 300_000 },
        "passive health checking: unary calls that cannot reach a target (refused, reset) or pass their deadline count as failures",
      ),
      circuitBreaker: circuitBreakerField,
      protos: withDefault(list(string()), [], ".proto files defining the service, relative to a protos.include root"),
      reflection: withDefault(boolean(), false, "fetch the service's descriptors from the upstream by gRPC server reflection at start, instead of files"),
      timeout: withDefault(duration({ min: 1 }), 15_000, "deadline of every call unless the caller (grpc-timeout header) or the route sets a shorter one"),
      maxReceiveMessageSize: withDefault(byteSize({ min: 1 }), 4 * 1024 * 1024, "largest response message accepted"),
      maxSendMessageSize: withDefault(byteSize({ min: 1 }), 4 * 1024 * 1024, "largest request message sent"),
      keepaliveTime: withDefault(duration({ min: 1 }), 30_000, "interval of HTTP/2 keepalive pings on an idle channel"),
      keepaliveTimeout: withDefault(duration({ min: 1 }), 10_000, "how long a keepalive ping may go unanswered before the channel is dropped"),
      unaryTransport: withDefault(
        oneOf(["http2", "node-http2", "grpc-js"]),
        "http2",
        "unary calls over Rosetta's own HTTP/2 client (on net/tls sockets; server streams too), the earlier node:http2 one (kept to compare), or the grpc-js client; other streams use grpc-js",
      ),
      json: withDefault(protoJsonOptionsSchema, defaultProtoJsonOptions, "the proto3 JSON mapping options (each route may override)"),
      exposeInfrastructureServices: withDefault(
        list(string({ pattern: /^[A-Za-z_][\w.]*$/, patternHint: 'a service name such as "grpc.health.v1.Health", or a package prefix ending in "." such as "grpc.health."' })),
        [],
        'infrastructure services (grpc.reflection.*, grpc.health.*, grpc.channelz.*, google.*) to serve anyway, by full name or package prefix ending in "."',
      ),
      httpRuleFiles: withDefault(
        list(string()),
        [],
        "google.api.Service YAML files (http.rules) binding methods to HTTP, relative to the config file; a rule replaces the google.api.http annotation of its method",
      ),
      patchFieldMask: withDefault(boolean(), true, "fill a PATCH request's unset google.protobuf.FieldMask from the JSON keys of its body field (as grpc-gateway does)"),
      unannotatedMethods: withDefault(boolean(), true, 'serve every method without a google.api.http option at POST /<package>.<Service>/<Method> with body "*"'),
      rejectUnknownQueryParameters: withDefault(boolean(), false, "answer 400 for a query parameter that names no field, instead of ignoring it"),
      streamFormat: withDefault(streamFormat, "ndjson", "how server streams reach HTTP callers that do not ask by Accept: ndjson, sse or array"),
      forwardHeaders: withDefault(
        list(string({ pattern: /^[a-z0-9-]+$/, patternHint: "a lower-case header name" })),
        defaultForwardedHeaders,
        "request headers sent as gRPC metadata (besides every Grpc-Metadata-* header)",
      ),
      successStatus: withDefault(map(httpStatus), {}, 'HTTP status of a successful call, by method ("Bookstore/CreateShelf": 201 or the full path)'),
      soap: optional(soapFacadeSchema, "expose every service of this upstream as SOAP 1.1/1.2 at <path>/<package>.<Service>, with its WSDL at ?wsdl"),
      tls: optional(upstreamTlsSchema, "call the targets over TLS (both unary transports, streams, reflection): CA, client certificate (mTLS), server name; `tls: {}` uses the system CAs"),
    },
    "grpc service",
  ),
  (value, context) => (!value.reflection && value.protos.length === 0 ? context.at("protos").report(ConfigErrorCode.REQUIRED, 'a grpc service needs "protos" (files) or "reflection: true"') : value),
);

export type GrpcServiceOptions = Infer<typeof grpcServiceSchema>;

const serviceName = string({ pattern: /^[A-Za-z_][\w.]*$/, patternHint: 'a service name such as "bookstore.v1.Bookstore"' });

export const grpcUpstreamSchema = refine(
  object(
    {
      method: optional(methodPath, 'the gRPC method, "package.Service/Method"'),
      soap: optional(serviceName, "instead of one method: serve this whole service as a SOAP endpoint (POST envelopes, GET ?wsdl) at the route's path"),
      body: optional(
        string({ pattern: /^(\*|[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*)?$/i, patternHint: '"*", a field path such as "book" or "payload.value", or "" for none' }),
        'where the HTTP body goes: "*" (the whole request), a field path (nested through messages), or "" (no body); default "*" unless the route only takes GET/DELETE',
      ),
      responseBody: optional(string({ pattern: /^[a-z_][a-z0-9_]*$/i, patternHint: "a top-level field name" }), "answer with this field of the response instead of the whole message"),
      successStatus: optional(httpStatus, "HTTP status of a successful call (e.g. 201), overriding the service's"),
      timeout: optional(duration({ min: 1 }), "deadline for this route, overriding the service's"),
      retry: optional(retrySchema, "retry failed unary calls (idempotent methods, or those listed in `methods`); streaming methods are not retried"),
      json: optional(protoJsonOptionsSchema, "JSON mapping options for this route, overriding the service's"),
      streamFormat: optional(streamFormat, "default stream format for this route"),
    },
    "grpc upstream",
  ),
  (value, context) =>
    (value.method === undefined) === (value.soap === undefined)
      ? context.at("method").report(ConfigErrorCode.REQUIRED, 'a grpc route names either "method" or "soap" (a whole service as SOAP)')
      : value,
);

export type GrpcUpstreamOptions = Infer<typeof grpcUpstreamSchema>;
