import protobuf from "protobufjs";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../../options/error-codes.js";
import { suggest } from "../../core/did-you-mean.js";
import type { Handler } from "../../core/handler.js";
import { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import { messageInfo, type FieldInfo } from "../../protojson/message-info.js";
import { parsePathTemplate, type PathTemplate } from "../../pipeline/path-template.js";
import { fullNameOf, type ProtoRegistry } from "../../protos/proto-registry.js";
import { loadServiceProtos } from "../../protos/load-protos.js";
import type { Endpoint, EndpointContext, EndpointFactory, EndpointRoute, RouteInfo, RouteMessages } from "../endpoint.js";
import { GrpcChannels } from "./grpc-channels.js";
import { RetryPolicy } from "../retry-policy.js";
import type { CircuitSnapshot } from "../service-circuits.js";
import type { TargetStatus } from "../target-balancer.js";
import { grpcServiceSchema, grpcUpstreamSchema, type GrpcServiceOptions, type GrpcUpstreamOptions } from "./grpc-options.js";
import { errorFromStatus } from "./grpc-status.js";
import { httpBindings } from "./http-rules.js";
import { loadByReflection } from "./reflection-client.js";
import { loadClientTls, type ClientTls } from "../../tls/client-tls.js";
import { createTranscodingHandler } from "./transcoding-handler.js";
import { createSoapFacade, type SoapOperation } from "../../soap/server/soap-facade.js";
import { generateWsdl } from "../../soap/server/wsdl.js";
import { messageShape } from "../../protojson/message-shape.js";

const bodylessMethods = new Set(["GET", "DELETE", "HEAD"]);

/**
 * A gRPC service behind REST/JSON. Its schemas come from .proto files or
 * server reflection; every method with a google.api.http option becomes
 * routes by itself, and (by default) every method is also reachable at
 * POST /<package>.<Service>/<Method>.
 */
class GrpcEndpoint implements Endpoint<GrpcUpstreamOptions> {
  readonly #name: string;
  readonly #options: GrpcServiceOptions;
  readonly #context: EndpointContext;
  readonly #registry: ProtoRegistry;
  readonly #protoJson: ProtoJsonMapping;
  readonly #channels: GrpcChannels;
  readonly #routes: EndpointRoute<GrpcUpstreamOptions>[];

  constructor(name: string, options: GrpcServiceOptions, context: EndpointContext, registry: ProtoRegistry, tls: ClientTls | undefined) {
    this.#name = name;
    this.#options = options;
    this.#context = context;
    this.#registry = registry;
    this.#protoJson = ProtoJsonMapping.forRegistry(registry, options.json);
    this.#channels = new GrpcChannels(name, options, context.logger, tls);
    this.#routes = this.#annotatedRoutes();
  }

  /** The services this endpoint serves: every service in its schemas except Google's own. */
  #services(): protobuf.Service[] {
    const found: protobuf.Service[] = [];
    const visit = (namespace: protobuf.NamespaceBase) => {
      for (const nested of namespace.nestedArray) {
        if (nested instanceof protobuf.Service && !fullNameOf(nested).startsWith("grpc.") && !fullNameOf(nested).startsWith("google.")) found.push(nested);
        if (nested instanceof protobuf.Namespace) visit(nested);
      }
    };
    visit(this.#registry.root);
    return found;
  }

  #methodPaths(): string[] {
    return this.#services().flatMap((service) => service.methodsArray.map((method) => `${fullNameOf(service)}/${method.name}`));
  }

  #annotatedRoutes(): EndpointRoute<GrpcUpstreamOptions>[] {
    const routes: EndpointRoute<GrpcUpstreamOptions>[] = [];
    const problems: ConfigProblem[] = [];
    for (const service of this.#services()) {
      for (const method of service.methodsArray) {
        const path = `${fullNameOf(service)}/${method.name}`;
        const bindings = httpBindings(method);
        bindings.forEach((binding, index) => {
          const parsed = parsePathTemplate(binding.path);
          if (!parsed.ok) {
            problems.push({ code: ConfigErrorCode.TEMPLATE, path: this.#context.configPath, message: `google.api.http of ${path}: ${parsed.error}` });
            return;
          }
          routes.push(
            this.#route(`${this.#name}.${method.name}${index === 0 ? "" : `.${index}`}`, parsed.template, [binding.httpMethod], {
              method: path,
              body: binding.body ?? "",
              responseBody: binding.responseBody,
            }),
          );
        });
        if (bindings.length === 0 && this.#options.unannotatedMethods) {
          const parsed = parsePathTemplate(`/${path}`);
          if (parsed.ok) routes.push(this.#route(`${this.#name}.${method.name}`, parsed.template, ["POST"], { method: path, body: "*", responseBody: undefined }));
        }
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    if (this.#options.soap !== undefined) routes.push(...this.#soapRoutes(this.#options.soap.path));
    return routes;
  }

  /** `<prefix>/<package>.<Service>` for every service: POST for calls, GET for the WSDL. */
  #soapRoutes(prefix: string): EndpointRoute<GrpcUpstreamOptions>[] {
    return this.#services().flatMap((service) => {
      const parsed = parsePathTemplate(`${prefix.replace(/\/+$/, "")}/${fullNameOf(service)}`);
      if (!parsed.ok) throw new ConfigError([{ code: ConfigErrorCode.TEMPLATE, path: `${this.#context.configPath}.soap.path`, message: parsed.error }]);
      return [this.#route(`${this.#name}.${service.name}.soap`, parsed.template, ["POST", "GET", "HEAD"], { soap: fullNameOf(service) })];
    });
  }

  #route(
    id: string,
    template: PathTemplate,
    httpMethods: readonly string[],
    upstream: Partial<Pick<GrpcUpstreamOptions, "method" | "soap" | "body" | "responseBody">>,
  ): EndpointRoute<GrpcUpstreamOptions> {
    return {
      id,
      template,
      methods: new Set(httpMethods),
      upstream: {
        method: undefined,
        soap: undefined,
        body: undefined,
        responseBody: undefined,
        ...upstream,
        successStatus: undefined,
        timeout: undefined,
        retry: undefined,
        json: undefined,
        streamFormat: undefined,
      },
    };
  }

  routes(): readonly EndpointRoute<GrpcUpstreamOptions>[] {
    return this.#routes;
  }

  handlerFor(route: RouteInfo<GrpcUpstreamOptions>): Handler {
    const { upstream } = route;
    return upstream.soap !== undefined ? this.#soapHandler(route, upstream.soap) : this.#methodHandler(route, upstream.method!);
  }

  messagesOf(route: RouteInfo<GrpcUpstreamOptions>): RouteMessages | undefined {
    const { upstream } = route;
    const method = upstream.soap === undefined && upstream.method !== undefined ? this.#registry.findMethod(upstream.method) : undefined;
    if (method === undefined) return undefined;
    const protoJson = upstream.json === undefined ? this.#protoJson : this.#protoJson.withOptions(upstream.json);
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    const bodyField = upstream.body === undefined || upstream.body === "*" ? undefined : messageInfo(requestType).byName.get(upstream.body);
    const responseField = upstream.responseBody === undefined ? undefined : messageInfo(responseType).byName.get(upstream.responseBody);
    return { request: messageShape(requestType, protoJson, bodyField), response: messageShape(responseType, protoJson, responseField) };
  }

  #soapHandler(route: RouteInfo<GrpcUpstreamOptions>, serviceName: string): Handler {
    const services = this.#services();
    const service = services.find((candidate) => fullNameOf(candidate) === serviceName);
    if (service === undefined) {
      const known = services.map(fullNameOf);
      throw new ConfigError([
        { code: ConfigErrorCode.REFERENCE, path: `${route.configPath}.upstream.soap`, message: `service "${this.#name}" has no proto service "${serviceName}" (services: ${known.join(", ")})` },
      ]);
    }
    const protoJson = route.upstream.json === undefined ? this.#protoJson : this.#protoJson.withOptions(route.upstream.json);
    const operations = new Map<string, SoapOperation>();
    const methods: protobuf.Method[] = [];
    // Streaming methods have no request/response form in WSDL 1.1; they stay REST/NDJSON only.
    for (const method of service.methodsArray.filter((candidate) => candidate.requestStream !== true && candidate.responseStream !== true)) {
      const path = `${fullNameOf(service)}/${method.name}`;
      const handler = this.#methodHandler(
        { ...route, template: undefined, methods: undefined, upstream: { ...route.upstream, soap: undefined, method: path, body: "*", responseBody: undefined, successStatus: 200 } },
        path,
        true,
      );
      methods.push(method);
      operations.set(method.name, {
        handler,
        requestShape: messageShape(method.resolvedRequestType!, protoJson),
        responseShape: messageShape(method.resolvedResponseType!, protoJson),
      });
    }
    const xml = this.#context.codecs.xml;
    const targetNamespace = this.#options.soap?.namespace ?? `urn:${fullNameOf(service)}`;
    const useProtoNames = protoJson.options.useProtoNames;
    return createSoapFacade({
      serviceName: service.name,
      operations,
      targetNamespace,
      wsdl: (location) => generateWsdl({ service, methods, targetNamespace, location, useProtoNames }),
      xml,
      // The XML limit too, so a longer declared envelope is refused before it is read.
      maxBodyBytes: Math.min(this.#options.maxSendMessageSize, xml.maxBytes ?? Infinity),
    });
  }

  /** `facade`: one of a SOAP facade's methods, which takes the route's retry only when it may be retried (no config error). */
  #methodHandler(route: RouteInfo<GrpcUpstreamOptions>, methodPath: string, facade = false): Handler {
    const upstream = { ...route.upstream, method: methodPath };
    const problem = (path: string, code: ConfigErrorCode, message: string) => new ConfigError([{ code, path: `${route.configPath}${path}`, message }]);
    const method = this.#registry.findMethod(upstream.method);
    if (method === undefined) {
      const known = this.#methodPaths();
      const hint = suggest(upstream.method, known);
      throw problem(
        ".upstream.method",
        ConfigErrorCode.REFERENCE,
        `service "${this.#name}" has no method "${upstream.method}"${hint === undefined ? ` (methods: ${known.join(", ")})` : ` (did you mean "${hint}"?)`}`,
      );
    }
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    const requestFields = messageInfo(requestType);
    const bodyOption = upstream.body ?? (route.methods !== undefined && [...route.methods].every((verb) => bodylessMethods.has(verb)) ? "" : "*");
    const bodyField = bodyOption === "" || bodyOption === "*" ? undefined : requestFields.byName.get(bodyOption);
    if (bodyOption !== "" && bodyOption !== "*" && bodyField === undefined) {
      throw problem(".upstream.body", ConfigErrorCode.REFERENCE, `${requestFields.fullName} has no field "${bodyOption}"`);
    }
    // A body field named by its JSON name is kept by its proto name, like path variables.
    const body = bodyField?.protoName ?? bodyOption;
    const pathFields = route.template?.variables.map((variable) => variable.fieldPath) ?? [];
    for (const fieldPath of pathFields) {
      if (!fieldPathExists(requestType, fieldPath))
        throw problem(route.configPath.startsWith("routes") ? ".match.path" : "", ConfigErrorCode.REFERENCE, `path variable {${fieldPath}} names no field of ${requestFields.fullName}`);
    }
    const responseField = upstream.responseBody === undefined ? undefined : messageInfo(responseType).byName.get(upstream.responseBody);
    if (upstream.responseBody !== undefined && responseField === undefined) {
      throw problem(".upstream.responseBody", ConfigErrorCode.REFERENCE, `${fullNameOf(responseType)} has no field "${upstream.responseBody}"`);
    }
    const protoJson = upstream.json === undefined ? this.#protoJson : this.#protoJson.withOptions(upstream.json);
    // successStatus keys may be "pkg.Service/Method", "Service/Method" or "Method".
    const serviceAndMethod = upstream.method.slice(upstream.method.lastIndexOf(".", upstream.method.indexOf("/")) + 1);
    const methodName = upstream.method.slice(upstream.method.indexOf("/") + 1);
    const declaredStatus = this.#options.successStatus[upstream.method] ?? this.#options.successStatus[serviceAndMethod] ?? this.#options.successStatus[methodName];
    let retry: RetryPolicy | undefined;
    if (upstream.retry !== undefined) {
      if (method.requestStream === true || method.responseStream === true) {
        throw problem(".upstream.retry", ConfigErrorCode.VALUE, `${upstream.method} is a streaming method; streams are not retried`);
      }
      retry = new RetryPolicy(upstream.retry);
      if (!retry.allowsGrpcMethod([upstream.method, serviceAndMethod, methodName], isIdempotent(method))) {
        if (facade) retry = undefined;
        else
          throw problem(
            ".upstream.retry",
            ConfigErrorCode.VALUE,
            `${upstream.method} is not marked idempotent (option idempotency_level = IDEMPOTENT or NO_SIDE_EFFECTS); list it in retry.methods to retry it anyway`,
          );
      }
    }
    return createTranscodingHandler({
      method,
      callPath: `/${upstream.method}`,
      mapping: { requestType, body: body === "" ? undefined : body, pathFields, rejectUnknownQuery: this.#options.rejectUnknownQueryParameters },
      responseType,
      responseField,
      successStatus: upstream.successStatus ?? declaredStatus ?? 200,
      timeout: upstream.timeout ?? this.#options.timeout,
      streamFormat: upstream.streamFormat ?? this.#options.streamFormat,
      protoJson,
      channels: this.#channels,
      codecs: this.#context.codecs,
      // The trace context always goes upstream, whatever else is forwarded.
      forwardHeaders: new Set([...this.#options.forwardHeaders, "traceparent", "tracestate"]),
      maxMessageBytes: this.#options.maxSendMessageSize,
      toError: (status) => errorFromStatus(status, this.#protoJson, this.#registry, this.#name),
      service: this.#name,
      retry,
      logger: this.#context.logger,
    });
  }

  circuits(): CircuitSnapshot | undefined {
    return this.#channels.circuits();
  }

  targets(): readonly TargetStatus[] {
    return this.#channels.targets();
  }

  async close(): Promise<void> {
    this.#channels.close();
  }
}

/** `option idempotency_level` of a method: IDEMPOTENT or NO_SIDE_EFFECTS (by name from .proto files, by number from descriptors). */
function isIdempotent(method: protobuf.Method): boolean {
  const options = method.options as { idempotency_level?: unknown; idempotencyLevel?: unknown } | undefined;
  const level = options?.idempotency_level ?? options?.idempotencyLevel;
  return level === "IDEMPOTENT" || level === "NO_SIDE_EFFECTS" || level === 1 || level === 2;
}

function fieldPathExists(type: protobuf.Type, fieldPath: string): boolean {
  let current: protobuf.Type | undefined = type;
  for (const name of fieldPath.split(".")) {
    const field: FieldInfo | undefined = current === undefined ? undefined : messageInfo(current).byName.get(name);
    if (field === undefined) return false;
    current = field.messageType;
  }
  return true;
}

export const grpcEndpointFactory: EndpointFactory<GrpcServiceOptions, GrpcUpstreamOptions> = {
  protocol: "grpc",
  serviceSchema: grpcServiceSchema,
  upstreamSchema: grpcUpstreamSchema,
  create: async (name, options, context) => {
    const tls = options.tls === undefined ? undefined : loadClientTls(options.tls, context.baseDirectory, context.configPath, context.logger);
    const registry = options.reflection ? await loadByReflection(options, context, tls) : await loadServiceProtos(context.protoIncludes, options.protos, context.configPath);
    return new GrpcEndpoint(name, options, context, registry, tls);
  },
};
