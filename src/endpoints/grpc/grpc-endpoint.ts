import protobuf from "protobufjs";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../../options/error-codes.js";
import { suggest } from "../../core/did-you-mean.js";
import type { Handler } from "../../core/handler.js";
import { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import { messageInfo, type FieldInfo } from "../../protojson/message-info.js";
import type { PatchFieldMask } from "../../protojson/field-mask-from-body.js";
import { parsePathTemplate, type PathTemplate } from "../../pipeline/path-template.js";
import { fullNameOf, type ProtoRegistry } from "../../protos/proto-registry.js";
import { loadServiceProtos } from "../../protos/load-protos.js";
import type { Endpoint, EndpointContext, EndpointFactory, EndpointRoute, RouteInfo, RouteMessages, RouteOperation } from "../endpoint.js";
import { GrpcChannels } from "./grpc-channels.js";
import { RetryPolicy } from "../retry-policy.js";
import type { CircuitSnapshot } from "../service-circuits.js";
import type { TargetStatus } from "../target-balancer.js";
import { grpcServiceSchema, grpcUpstreamSchema, type GrpcServiceOptions, type GrpcUpstreamOptions } from "./grpc-options.js";
import { errorFromStatus } from "./grpc-status.js";
import { httpBindings, isHttpMethodName, type HttpBinding } from "./http-rules.js";
import { loadHttpRuleFiles, type FileRule } from "./http-rule-files.js";
import { resolveFieldPath } from "../../protojson/field-path.js";
import { isInfrastructureService } from "./infrastructure-services.js";
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
  readonly #fileRules: ReadonlyMap<string, FileRule>;

  constructor(name: string, options: GrpcServiceOptions, context: EndpointContext, registry: ProtoRegistry, tls: ClientTls | undefined, fileRules: ReadonlyMap<string, FileRule>) {
    this.#name = name;
    this.#options = options;
    this.#context = context;
    this.#registry = registry;
    this.#protoJson = ProtoJsonMapping.forRegistry(registry, options.json);
    this.#channels = new GrpcChannels(name, options, context.logger, tls);
    this.#fileRules = fileRules;
    this.#routes = this.#annotatedRoutes();
  }

  /**
   * The services this endpoint serves: every service in its schemas except the infrastructure ones
   * (reflection, health, channelz, Google's own), unless `exposeInfrastructureServices` names them.
   */
  #services(): protobuf.Service[] {
    const found: protobuf.Service[] = [];
    const exposed = this.#options.exposeInfrastructureServices;
    const visit = (namespace: protobuf.NamespaceBase) => {
      for (const nested of namespace.nestedArray) {
        if (nested instanceof protobuf.Service && !isInfrastructureService(fullNameOf(nested), exposed)) found.push(nested);
        if (nested instanceof protobuf.Namespace) visit(nested);
      }
    };
    visit(this.#registry.root);
    return found;
  }

  #methodPaths(): string[] {
    return this.#services().flatMap((service) => service.methodsArray.map((method) => `${fullNameOf(service)}/${method.name}`));
  }

  /**
   * Routes from google.api.http annotations and rule files (a rule file's rule replaces the
   * annotation of its method), and POST /<package>.<Service>/<Method> for the rest. An annotation
   * that cannot be served is left out with a warning (the other methods still are); a rule file's
   * is a config error, as it is config.
   */
  #annotatedRoutes(): EndpointRoute<GrpcUpstreamOptions>[] {
    const routes: EndpointRoute<GrpcUpstreamOptions>[] = [];
    const problems: ConfigProblem[] = [];
    // Route ids are `<service>.<Method>`; a method name two proto services share gets its proto service's name too.
    const names = this.#services().flatMap((service) => service.methodsArray.map((method) => method.name));
    const shared = new Set(names.filter((name, index) => names.indexOf(name) !== index));
    const idOf = (method: protobuf.Method) => (shared.has(method.name) ? `${this.#name}.${method.parent?.name ?? ""}.${method.name}` : `${this.#name}.${method.name}`);
    const addBindings = (method: protobuf.Method, methodPath: string, bindings: readonly HttpBinding[], rule: FileRule | undefined) => {
      bindings.forEach((binding, index) => {
        const checked = this.#checkBinding(method, binding);
        if (typeof checked === "string") {
          if (rule !== undefined) problems.push({ code: ConfigErrorCode.REFERENCE, path: rule.configPath, message: `rule for ${rule.selector}: ${checked}`, location: rule.location });
          else
            this.#context.logger.warn("a google.api.http binding cannot be served and is left out", {
              service: this.#name,
              method: methodPath,
              binding: `${binding.httpMethod} ${binding.path}`,
              why: checked,
            });
          return;
        }
        routes.push(
          this.#route(`${idOf(method)}${index === 0 ? "" : `.${index}`}`, checked, [binding.httpMethod], {
            method: methodPath,
            body: binding.body ?? "",
            responseBody: binding.responseBody,
          }),
        );
      });
    };
    for (const service of this.#services()) {
      for (const method of service.methodsArray) {
        const path = `${fullNameOf(service)}/${method.name}`;
        // A method a rule file names gets its routes from the file, below.
        if (this.#fileRules.has(`${fullNameOf(service)}.${method.name}`)) continue;
        const bindings = httpBindings(method);
        addBindings(method, path, bindings, undefined);
        if (bindings.length === 0 && this.#options.unannotatedMethods) {
          const parsed = parsePathTemplate(`/${path}`);
          if (parsed.ok) routes.push(this.#route(idOf(method), parsed.template, ["POST"], { method: path, body: "*", responseBody: undefined }));
        }
      }
    }
    for (const rule of this.#fileRules.values()) {
      const dot = rule.selector.lastIndexOf(".");
      const path = `${rule.selector.slice(0, dot)}/${rule.selector.slice(dot + 1)}`;
      const method = this.#registry.findMethod(path);
      if (method === undefined) {
        const known = this.#methodPaths().map((candidate) => candidate.replace("/", "."));
        const hint = suggest(rule.selector, known);
        problems.push({
          code: ConfigErrorCode.REFERENCE,
          path: rule.configPath,
          message: `selector "${rule.selector}" names no method of service "${this.#name}"${hint === undefined ? "" : ` (did you mean "${hint}"?)`}`,
          location: rule.location,
        });
        continue;
      }
      addBindings(method, path, rule.bindings, rule);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    if (this.#options.soap !== undefined) routes.push(...this.#soapRoutes(this.#options.soap.path));
    return routes;
  }

  /** The parsed template of a binding Rosetta can serve, or why it cannot. */
  #checkBinding(method: protobuf.Method, binding: HttpBinding): PathTemplate | string {
    if (!isHttpMethodName(binding.httpMethod)) return `custom kind ${JSON.stringify(binding.httpMethod)} is not an HTTP method`;
    const parsed = parsePathTemplate(binding.path);
    if (!parsed.ok) return parsed.error;
    method.resolve();
    const requestType = method.resolvedRequestType;
    const responseType = method.resolvedResponseType;
    if (requestType === null || responseType === null) return "its message types do not resolve";
    for (const variable of parsed.template.variables) {
      const found = resolveFieldPath(requestType, variable.fieldPath);
      if (found === undefined || found.field.map) return `path variable {${variable.fieldPath}} names no field of ${fullNameOf(requestType)}`;
    }
    if (binding.body !== undefined && binding.body !== "*" && resolveFieldPath(requestType, binding.body) === undefined) {
      return `body "${binding.body}" names no field of ${fullNameOf(requestType)}`;
    }
    if (binding.responseBody !== undefined && messageInfo(responseType).byName.get(binding.responseBody) === undefined) {
      return `response_body "${binding.responseBody}" names no field of ${fullNameOf(responseType)}`;
    }
    return parsed.template;
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
    const bodyField = upstream.body === undefined || upstream.body === "*" || upstream.body === "" ? undefined : resolveFieldPath(requestType, upstream.body);
    const responseField = upstream.responseBody === undefined ? undefined : messageInfo(responseType).byName.get(upstream.responseBody);
    return {
      request: bodyField === undefined ? messageShape(requestType, protoJson) : messageShape(bodyField.parent, protoJson, bodyField.field),
      response: messageShape(responseType, protoJson, responseField),
    };
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
    const bodyOption = bodyOptionOf(route);
    const bodyField = bodyOption === "" || bodyOption === "*" ? undefined : resolveFieldPath(requestType, bodyOption);
    if (bodyOption !== "" && bodyOption !== "*" && bodyField === undefined) {
      throw problem(".upstream.body", ConfigErrorCode.REFERENCE, `${requestFields.fullName} has no field "${bodyOption}"`);
    }
    // A body field named by its JSON name is kept by its proto name, like path variables.
    const body = bodyField?.protoPath.join(".") ?? bodyOption;
    // Path variables are kept by their proto names too, whichever name the template used.
    const pathFields = route.template?.variables.map((variable) => variable.fieldPath) ?? [];
    for (const fieldPath of pathFields) {
      if (resolveFieldPath(requestType, fieldPath) === undefined)
        throw problem(route.configPath.startsWith("routes") ? ".match.path" : "", ConfigErrorCode.REFERENCE, `path variable {${fieldPath}} names no field of ${requestFields.fullName}`);
    }
    const responseField = upstream.responseBody === undefined ? undefined : messageInfo(responseType).byName.get(upstream.responseBody);
    if (upstream.responseBody !== undefined && responseField === undefined) {
      throw problem(".upstream.responseBody", ConfigErrorCode.REFERENCE, `${fullNameOf(responseType)} has no field "${upstream.responseBody}"`);
    }
    const protoJson = upstream.json === undefined ? this.#protoJson : this.#protoJson.withOptions(upstream.json);
    const [serviceAndMethod, methodName] = methodKeys(upstream.method);
    const declaredStatus = this.#declaredStatus(upstream.method);
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
      fieldMask: this.#options.patchFieldMask && route.methods?.has("PATCH") === true ? patchFieldMask(requestType, bodyField?.field) : undefined,
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

  /** successStatus keys may be "pkg.Service/Method", "Service/Method" or "Method". */
  #declaredStatus(methodPath: string): number | undefined {
    const [serviceAndMethod, methodName] = methodKeys(methodPath);
    return this.#options.successStatus[methodPath] ?? this.#options.successStatus[serviceAndMethod] ?? this.#options.successStatus[methodName];
  }

  operationOf(route: RouteInfo<GrpcUpstreamOptions>): RouteOperation | undefined {
    const { upstream } = route;
    const methodPath = upstream.soap === undefined ? upstream.method : undefined;
    const method = methodPath === undefined ? undefined : this.#registry.findMethod(methodPath);
    const service = method?.parent;
    const requestType = method?.resolvedRequestType;
    const responseType = method?.resolvedResponseType;
    if (methodPath === undefined || method === undefined || !(service instanceof protobuf.Service) || !requestType || !responseType) return undefined;
    const bodyOption = bodyOptionOf(route);
    const bodyField = bodyOption === "" || bodyOption === "*" ? undefined : messageInfo(requestType).byName.get(bodyOption);
    const responseField = upstream.responseBody === undefined ? undefined : messageInfo(responseType).byName.get(upstream.responseBody);
    const protoJson = upstream.json === undefined ? this.#protoJson : this.#protoJson.withOptions(upstream.json);
    return {
      name: `${service.name}_${method.name}`,
      service: fullNameOf(service),
      serviceDescription: service.comment ?? undefined,
      description: method.comment ?? undefined,
      request: messageShape(requestType, protoJson),
      body: bodyOption === "" ? undefined : (bodyField?.protoName ?? bodyOption),
      transcoded: true,
      response: messageShape(responseType, protoJson, responseField),
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      streamFormat: upstream.streamFormat ?? this.#options.streamFormat,
      successStatus: upstream.successStatus ?? this.#declaredStatus(methodPath) ?? 200,
    };
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

/** The body a route binds: its `body` option, else none for GET/DELETE-only routes, else the whole message. */
function bodyOptionOf(route: RouteInfo<GrpcUpstreamOptions>): string {
  return route.upstream.body ?? (route.methods !== undefined && [...route.methods].every((verb) => bodylessMethods.has(verb)) ? "" : "*");
}

/** `pkg.Service/Method` → [`Service/Method`, `Method`], the shorter keys successStatus and retry accept. */
function methodKeys(methodPath: string): [string, string] {
  return [methodPath.slice(methodPath.lastIndexOf(".", methodPath.indexOf("/")) + 1), methodPath.slice(methodPath.indexOf("/") + 1)];
}

/** `option idempotency_level` of a method: IDEMPOTENT or NO_SIDE_EFFECTS (by name from .proto files, by number from descriptors). */
function isIdempotent(method: protobuf.Method): boolean {
  const options = method.options as { idempotency_level?: unknown; idempotencyLevel?: unknown } | undefined;
  const level = options?.idempotency_level ?? options?.idempotencyLevel;
  return level === "IDEMPOTENT" || level === "NO_SIDE_EFFECTS" || level === 1 || level === 2;
}

/**
 * The request's one google.protobuf.FieldMask field, when a PATCH whose body is a message field
 * should have it filled from the body's keys (as grpc-gateway does); none for body "*" or when
 * the request has no mask or more than one.
 */
function patchFieldMask(requestType: protobuf.Type, bodyField: FieldInfo | undefined): PatchFieldMask | undefined {
  if (bodyField?.messageType === undefined || bodyField.repeated || bodyField.map) return undefined;
  const masks = messageInfo(requestType).fields.filter((field) => field.messageType !== undefined && !field.repeated && fullNameOf(field.messageType) === "google.protobuf.FieldMask");
  const mask = masks.length === 1 ? masks[0] : undefined;
  return mask === undefined ? undefined : { maskField: mask, bodyType: bodyField.messageType };
}

export const grpcEndpointFactory: EndpointFactory<GrpcServiceOptions, GrpcUpstreamOptions> = {
  protocol: "grpc",
  serviceSchema: grpcServiceSchema,
  upstreamSchema: grpcUpstreamSchema,
  create: async (name, options, context) => {
    const tls = options.tls === undefined ? undefined : loadClientTls(options.tls, context.baseDirectory, context.configPath, context.logger);
    const fileRules = loadHttpRuleFiles(options.httpRuleFiles, context.baseDirectory, context.configPath);
    const registry = options.reflection ? await loadByReflection(options, context, tls) : await loadServiceProtos(context.protoIncludes, options.protos, context.configPath);
    return new GrpcEndpoint(name, options, context, registry, tls, fileRules);
  },
};
