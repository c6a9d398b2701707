import { Readable } from "node:stream";
import { loadClientTls } from "../../tls/client-tls.js";
import type { Body } from "../../core/body.js";
import { bytesBody } from "../../core/body.js";
import type { Handler } from "../../core/handler.js";
import type { HeaderMap, RequestEnvelope, ResponseEnvelope } from "../../core/envelope.js";
import { mediaTypeOf } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { ndjsonLines, readBodyBytes } from "../../core/read-body.js";
import { StatusCode } from "../../core/status-code.js";
import type { Codec } from "../../codecs/codec.js";
import type { CodecRegistry } from "../../codecs/codec-registry.js";
import { documentShape, type BodyShape } from "../../core/body-shape.js";
import { messageShape } from "../../protojson/message-shape.js";
import { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import { soapCallOf, type SoapCall } from "../../soap/client/soap-client.js";
import { ConfigError, ConfigErrorCode } from "../../options/error-codes.js";
import type { ProtoRegistry } from "../../protos/proto-registry.js";
import { loadServiceProtos } from "../../protos/load-protos.js";
import { translateRequest, translateResponse, wantedCodec, type BodyTranslation } from "./body-translation.js";
import type { Endpoint, EndpointContext, EndpointFactory, EndpointRoute, RouteInfo, RouteMessages, RouteOperation } from "../endpoint.js";
import { TargetBalancer, type TargetState, type TargetStatus } from "../target-balancer.js";
import { HealthChecker } from "../health-checker.js";
import { HttpHealthProbes } from "./http-health-probe.js";
import { httpServiceSchema, httpUpstreamSchema, type HttpServiceOptions, type HttpUpstreamOptions } from "./http-options.js";
import { upstreamTransport, type UpstreamTransport } from "./upstream-transport.js";
import { isConnectFailure, isReset, upstreamError } from "./upstream-error.js";
import { REFUSED, type CallOutcome } from "../circuit-breaker.js";
import { ServiceCircuits, type CircuitSnapshot, type PickedTarget } from "../service-circuits.js";
import { RetryPolicy, verdictOfCode, verdictOfStatus, type RetryableCall } from "../retry-policy.js";
import { isMalformedReply } from "../malformed-reply.js";
import { compileUpstreamPath, type UpstreamPath } from "../upstream-path.js";
import { callBudget } from "../deadline.js";
import { translationEnd, translationStart } from "../../observability/request-observer.js";

interface Target {
  readonly origin: string;
  readonly host: string;
  readonly transport: UpstreamTransport;
}

/** Upstream statuses that count against a target's health (they speak for the target, not the request). */
const unhealthyStatuses = new Set([502, 503, 504]);

type UpstreamBody = Uint8Array | Readable | null;

/** One request as it goes to the upstream, the same on every try. */
interface UpstreamAttempt {
  readonly request: RequestEnvelope;
  readonly method: string;
  /** With the query. */
  readonly path: string;
  readonly headers: HeaderMap;
  readonly body: UpstreamBody;
  /** Milliseconds each try may take (see callBudget); a retry gets what is left. */
  budget: number;
  /** The target of the last try, so a retry goes elsewhere. */
  last?: TargetState<Target> | undefined;
}

/** Answers drained (rather than cut) when a retry drops them, so their keep-alive connection stays. */
const drainLimit = 64 * 1024;
const discardSink = { write: () => true, end: () => {}, fail: () => {} };

/** Bodies read whole to find a path variable are capped by the JSON codec's own limit. */
const lookupBodyLimit = 4 * 1024 * 1024;

class HttpEndpoint implements Endpoint<HttpUpstreamOptions> {
  readonly #name: string;
  readonly #options: HttpServiceOptions;
  readonly #targets: readonly Target[];
  readonly #balancer: TargetBalancer<Target>;
  readonly #circuits: ServiceCircuits<Target> | undefined;
  readonly #health: { readonly checker: HealthChecker<Target>; readonly probes: HttpHealthProbes } | undefined;
  readonly #json: Codec;

  readonly #codecs: CodecRegistry;
  readonly #configPath: string;
  /** Set when the service names protos, for routes typed by requestType/responseType. */
  readonly #protoJson: ProtoJsonMapping | undefined;

  constructor(name: string, options: HttpServiceOptions, context: EndpointContext, registry: ProtoRegistry | undefined) {
    this.#name = name;
    this.#options = options;
    this.#json = context.codecs.json;
    this.#codecs = context.codecs;
    this.#configPath = context.configPath;
    this.#protoJson = registry === undefined ? undefined : ProtoJsonMapping.forRegistry(registry, options.json);
    const tls = options.tls === undefined ? undefined : loadClientTls(options.tls, context.baseDirectory, context.configPath, context.logger);
    this.#targets = options.targets.map(
      ({ target: origin }): Target => ({
        origin,
        host: new URL(origin).host,
        transport: upstreamTransport(origin, options, tls?.connectOptions),
      }),
    );
    this.#balancer = new TargetBalancer(
      name,
      this.#targets.map((target, index) => ({ target, weight: options.targets[index]!.weight, label: target.origin })),
      options,
    );
    this.#circuits = options.circuitBreaker === undefined ? undefined : new ServiceCircuits(name, options.circuitBreaker, this.#targets, (target) => target.origin);
    if (options.healthCheck !== undefined) {
      const probes = new HttpHealthProbes(options.healthCheck);
      this.#health = { probes, checker: new HealthChecker(name, this.#balancer, options.healthCheck, probes.probe(), context.logger) };
    }
  }

  circuits(): CircuitSnapshot | undefined {
    return this.#circuits?.snapshot();
  }

  handlerFor(route: RouteInfo<HttpUpstreamOptions>): Handler {
    const proxy = this.#proxyHandler(route);
    const translation = this.#translation(route);
    const declared = translation.upstream !== undefined || translation.soap !== undefined;
    const translated = async (request: RequestEnvelope, wanted: Codec | undefined): Promise<ResponseEnvelope> => {
      const started = translationStart(request);
      await translateRequest(request, translation);
      translationEnd(request, started);
      const response = await proxy(request);
      const replyStarted = translationStart(request);
      const translated = await translateResponse(response, wanted, translation);
      translationEnd(request, replyStarted);
      return translated;
    };
    return (request) => {
      const wanted = wantedCodec(request, translation);
      // Undeclared services pass bodies through unless the caller speaks something other than JSON.
      if (!declared && (wanted === undefined || wanted === this.#json)) return proxy(request);
      return translated(request, wanted);
    };
  }

  messagesOf(route: RouteInfo<HttpUpstreamOptions>): RouteMessages | undefined {
    const shapeOf = (typeName: string | undefined) => {
      const type = typeName === undefined ? undefined : this.#protoJson?.findType(typeName);
      return type === undefined ? undefined : messageShape(type, this.#protoJson!);
    };
    return { request: shapeOf(route.upstream.requestType), response: shapeOf(route.upstream.responseType) };
  }

  operationOf(route: RouteInfo<HttpUpstreamOptions>): RouteOperation | undefined {
    const messages = this.messagesOf(route);
    if (messages === undefined || (messages.request === undefined && messages.response === undefined)) return undefined;
    return {
      name: route.id,
      service: undefined,
      serviceDescription: undefined,
      description: undefined,
      request: messages.request,
      body: messages.request === undefined ? undefined : "*",
      transcoded: false,
      response: messages.response,
      requestStream: false,
      responseStream: false,
      streamFormat: undefined,
      successStatus: 200,
    };
  }

  #translation(route: RouteInfo<HttpUpstreamOptions>): BodyTranslation {
    const { upstream } = route;
    const options = this.#options;
    const shapeOf = (typeName: string | undefined, key: string): BodyShape | undefined => {
      if (typeName === undefined) return upstream.xml === undefined ? undefined : documentShape(upstream.xml.root, upstream.xml.lists);
      const type = this.#protoJson?.findType(typeName);
      if (type === undefined) {
        const why = this.#protoJson === undefined ? `service "${this.#name}" loads no protos (set ${this.#configPath}.protos)` : `no message "${typeName}" in the protos of service "${this.#name}"`;
        throw new ConfigError([{ code: ConfigErrorCode.REFERENCE, path: `${route.configPath}.upstream.${key}`, message: why }]);
      }
      return messageShape(type, this.#protoJson!);
    };
    let soap: SoapCall | undefined;
    if (options.codec === "soap") {
      if (upstream.soap === undefined)
        throw new ConfigError([
          { code: ConfigErrorCode.REQUIRED, path: `${route.configPath}.upstream.soap`, message: `service "${this.#name}" speaks SOAP; the route must name the operation: soap: { operation: "…" }` },
        ]);
      soap = soapCallOf(options.soap!, upstream.soap);
    }
    return {
      codecs: this.#codecs,
      upstream: options.codec === undefined || options.codec === "soap" ? undefined : this.#codecs.get(options.codec),
      soap,
      xml: this.#codecs.xml,
      requestShape: shapeOf(upstream.requestType, "requestType"),
      responseShape: shapeOf(upstream.responseType, "responseType"),
      maxBytes: options.maxTranslatedBytes,
    };
  }

  /** Sends the request on as it is (bodies streamed), to the route's upstream path. */
  #proxyHandler(route: RouteInfo<HttpUpstreamOptions>): Handler {
    const upstreamPath = route.upstream.path === undefined ? undefined : compileUpstreamPath(route.upstream.path, route.template);
    const timeout = route.upstream.timeout ?? this.#options.timeout;
    const method = this.#options.codec === "soap" ? "POST" : route.upstream.method;
    const retry = route.upstream.retry === undefined ? undefined : new RetryPolicy(route.upstream.retry);
    const send = (request: RequestEnvelope, path: string) => this.#send(request, method ?? request.method, request.rawQuery === "" ? path : `${path}?${request.rawQuery}`, timeout, retry);
    if (upstreamPath === undefined) return (request) => send(request, request.path);
    if (!upstreamPath.needsBody) {
      return (request) => {
        const path = upstreamPath.build(request, undefined);
        return path instanceof GatewayError ? Promise.reject(path) : send(request, path);
      };
    }
    return async (request) => send(request, await this.#pathFromBody(request, upstreamPath));
  }

  /** The slow path: some variable may live in the JSON body, which is read, searched and forwarded as the same bytes. */
  async #pathFromBody(request: RequestEnvelope, upstreamPath: UpstreamPath): Promise<string> {
    let body: unknown;
    if (mediaTypeOf(request.headers) === "application/json" && request.body.kind !== "empty") {
      const bytes = request.body.kind === "value" ? this.#json.encode(request.body.value) : await readBodyBytes(request.body, lookupBodyLimit);
      request.body = bytesBody(bytes);
      body = this.#json.decode(bytes);
    }
    const built = upstreamPath.build(request, body);
    if (built instanceof GatewayError) throw built;
    return built;
  }

  #send(request: RequestEnvelope, method: string, path: string, timeout: number, retry: RetryPolicy | undefined): Promise<ResponseEnvelope> {
    const headers = request.headers;
    // Both transports write the target's Host when none is given (and skip undefined values).
    if (!this.#options.preserveHost) headers.host = undefined;
    const body = this.#upstreamBody(request.body, headers);
    const attempt: UpstreamAttempt = { request, method, path, headers, body, budget: callBudget(timeout, request.deadline) };
    const retried = retry?.allowsHttpMethod(method) ? retry : undefined;
    if (this.#circuits === undefined && retried === undefined) return this.#attempt(attempt, 0, undefined);
    return this.#guarded(attempt, retried);
  }

  /** A call through the service's circuit (fast 503 when open or past maxPending) and the route's retries. */
  async #guarded(attempt: UpstreamAttempt, retry: RetryPolicy | undefined): Promise<ResponseEnvelope> {
    const circuits = this.#circuits;
    const ticket = circuits === undefined ? REFUSED : circuits.enter();
    if (ticket instanceof GatewayError) throw ticket;
    let outcome: CallOutcome = "neutral";
    try {
      const response = retry === undefined ? await this.#attempt(attempt, 0, undefined) : await retry.run(attempt.request.cancellation, Date.now() + attempt.budget, this.#retryable(attempt));
      outcome = unhealthyStatuses.has(response.status) ? "failure" : "success";
      return response;
    } catch (error) {
      outcome = outcomeOfError(error);
      throw error;
    } finally {
      if (circuits !== undefined) circuits.leave(ticket, outcome);
    }
  }

  #retryable(attempt: UpstreamAttempt): RetryableCall<ResponseEnvelope> {
    const endAt = Date.now() + attempt.budget;
    const body = attempt.body;
    return {
      attempt: (retry) => {
        if (retry === 0) return this.#attempt(attempt, 0, undefined);
        attempt.budget = Math.max(0, endAt - Date.now());
        return this.#attempt(attempt, 0, attempt.last);
      },
      answered: (response) => (response.status >= 400 ? verdictOfStatus(response.status) : undefined),
      failed: (error) => {
        if (!(error instanceof GatewayError) || error.code === StatusCode.CANCELLED || isMalformedReply(error)) return undefined;
        return verdictOfCode(error.code, isConnectFailure(error.cause), isReset(error.cause));
      },
      discard: (response) => {
        if (response.body.kind !== "push") return;
        if (response.body.length !== undefined && response.body.length <= drainLimit) response.body.source.pipe(discardSink);
        else response.body.source.cancel(new GatewayError(StatusCode.CANCELLED, "the answer was dropped for a retry"));
      },
      replayable: () => body === null || body instanceof Uint8Array || !body.readableDidRead,
    };
  }

  /** One try on one target; a connection that could not be opened moves on to the next target. */
  #attempt(attempt: UpstreamAttempt, tries: number, previous: TargetState<Target> | undefined): Promise<ResponseEnvelope> {
    const { request, method, path, headers, body, budget } = attempt;
    let picked: PickedTarget<Target>;
    try {
      // Both throw a 503 when no target may be tried (none healthy, every target's circuit open).
      picked = this.#circuits === undefined ? { state: this.#balancer.pick(request, previous), ticket: REFUSED } : this.#circuits.pick(this.#balancer, request, previous);
    } catch (error) {
      return Promise.reject(error);
    }
    const state = picked.state;
    attempt.last = state;
    const { origin, transport } = state.target;
    const onDeadline = () => new GatewayError(StatusCode.DEADLINE_EXCEEDED, `upstream "${this.#name}" (${origin}) did not answer within ${budget}ms`);
    const response = transport.send(method, path, headers, body, budget, onDeadline, request.cancellation);
    this.#balancer.started(state);
    return response.then(
      (response) => {
        this.#balancer.finished(state);
        const unhealthy = unhealthyStatuses.has(response.status);
        if (unhealthy) this.#balancer.failed(state);
        else this.#balancer.succeeded(state);
        this.#circuits?.tried(picked, unhealthy ? "failure" : "success");
        return response;
      },
      (error: unknown) => {
        this.#balancer.finished(state);
        if (request.cancellation.cancelled) {
          this.#circuits?.tried(picked, "neutral");
          throw upstreamError(request.cancellation.reason, this.#name, origin);
        }
        const mapped = upstreamError(error, this.#name, origin);
        // A malformed reply speaks for the request, not the target's health (see malformedReply).
        const targetFailed = (!(error instanceof GatewayError) && !isMalformedReply(mapped)) || mapped.code === StatusCode.DEADLINE_EXCEEDED;
        if (targetFailed) this.#balancer.failed(state);
        this.#circuits?.tried(picked, targetFailed ? "failure" : "neutral");
        const replayable = body === null || body instanceof Uint8Array || !body.readableDidRead;
        if (isConnectFailure(error) && replayable && tries < this.#options.retries && this.#balancer.size > 1) {
          return this.#attempt(attempt, tries + 1, state);
        }
        throw mapped;
      },
    );
  }

  #upstreamBody(body: Body, headers: HeaderMap): UpstreamBody {
    switch (body.kind) {
      case "empty":
        return null;
      case "bytes":
        headers["content-length"] = String(body.bytes.byteLength);
        return body.bytes;
      case "value": {
        const bytes = this.#json.encode(body.value);
        headers["content-type"] = this.#json.mediaTypes[0];
        headers["content-length"] = String(bytes.byteLength);
        return bytes;
      }
      case "readable":
        return body.stream;
      case "messages":
        // A message stream (a WebSocket client stream, say) goes upstream as NDJSON.
        headers["content-type"] = "application/x-ndjson";
        return Readable.from(ndjsonLines(body.messages));
      case "push":
        throw new GatewayError(StatusCode.UNIMPLEMENTED, "a pushed request body cannot be forwarded to an HTTP upstream");
    }
  }

  routes(): readonly EndpointRoute<HttpUpstreamOptions>[] {
    return [];
  }

  targets(): readonly TargetStatus[] {
    return this.#balancer.statuses();
  }

  async close(): Promise<void> {
    this.#health?.checker.stop();
    await this.#health?.probes.close();
    await Promise.all(this.#targets.map((target) => target.transport.close()));
  }
}

/** What a failed call says about the service: unreachable or too slow is a failure; a refusal of the request itself is not. */
function outcomeOfError(error: unknown): CallOutcome {
  if (!(error instanceof GatewayError) || isMalformedReply(error)) return "neutral";
  return error.code === StatusCode.UNAVAILABLE || error.code === StatusCode.DEADLINE_EXCEEDED ? "failure" : "neutral";
}

export const httpEndpointFactory: EndpointFactory<HttpServiceOptions, HttpUpstreamOptions> = {
  protocol: "http",
  serviceSchema: httpServiceSchema,
  upstreamSchema: httpUpstreamSchema,
  create: async (name, options, context) =>
    new HttpEndpoint(name, options, context, options.protos.length === 0 ? undefined : await loadServiceProtos(context.protoIncludes, options.protos, context.configPath)),
};
