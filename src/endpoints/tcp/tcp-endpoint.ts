import { bytesBody, emptyBody, valueBody, type Body } from "../../core/body.js";
import type { HeaderMap, RequestEnvelope, ResponseEnvelope } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { isMalformedReply } from "../malformed-reply.js";
import type { Handler } from "../../core/handler.js";
import { readBodyBytes } from "../../core/read-body.js";
import { StatusCode } from "../../core/status-code.js";
import type { CodecRegistry } from "../../codecs/codec-registry.js";
import { encodeValue } from "../../codecs/codec-step.js";
import type { Frame, FrameBody } from "../../frames/frame.js";
import type { FrameFormat } from "../../frames/frame-format.js";
import { toFrameHeaders } from "../../frames/frame-fields.js";
import { stripHopByHop } from "../../core/hop-by-hop.js";
import type { Endpoint, EndpointContext, EndpointFactory, EndpointRoute, RouteInfo } from "../endpoint.js";
import { TargetBalancer, type TargetState, type TargetStatus } from "../target-balancer.js";
import { HealthChecker } from "../health-checker.js";
import { tcpConnectProbe } from "./tcp-health-probe.js";
import { compileUpstreamPath } from "../upstream-path.js";
import { callBudget } from "../deadline.js";
import { lineFrameFormat } from "./line-frame-format.js";
import { loadClientTls } from "../../tls/client-tls.js";
import { TargetPool } from "./target-pool.js";
import { REFUSED, type CallOutcome } from "../circuit-breaker.js";
import { ServiceCircuits, type CircuitSnapshot, type PickedTarget } from "../service-circuits.js";
import { RetryPolicy, verdictOfCode, verdictOfStatus, type RetryableCall } from "../retry-policy.js";
import { tcpServiceSchema, tcpUpstreamSchema, type TcpServiceOptions, type TcpUpstreamOptions } from "./tcp-options.js";

/** Headers that describe the caller's connection to Rosetta, not the call. */
const notForwarded: ReadonlySet<string> = new Set(["host", "content-length"]);

/** Reply statuses that speak for the target's health, as for HTTP upstreams. */
const unhealthyStatuses = new Set([502, 503, 504]);

/** What the last try left: its target (a retry goes elsewhere) and whether it failed to connect. */
interface TryRecord {
  last: TargetState<TargetPool> | undefined;
  connectFailed: boolean;
}

/**
 * A service that speaks frames over TCP (or plain lines): each call becomes
 * one request frame on a pooled persistent connection, and the reply frame
 * becomes the response: its status, headers and body as they are.
 */
class TcpEndpoint implements Endpoint<TcpUpstreamOptions> {
  readonly #name: string;
  readonly #options: TcpServiceOptions;
  readonly #format: FrameFormat;
  readonly #codecs: CodecRegistry;
  readonly #balancer: TargetBalancer<TargetPool>;
  readonly #pools: TargetPool[];
  readonly #circuits: ServiceCircuits<TargetPool> | undefined;
  readonly #checker: HealthChecker<TargetPool> | undefined;

  constructor(name: string, options: TcpServiceOptions, context: EndpointContext) {
    this.#name = name;
    this.#options = options;
    this.#format = options.framing === "line" ? lineFrameFormat : context.frameFormats.get(options.codec).create(context.codecs, options);
    this.#codecs = context.codecs;
    const tls = options.tls === undefined ? undefined : loadClientTls(options.tls, context.baseDirectory, context.configPath, context.logger);
    this.#pools = options.targets.map(({ target }) => new TargetPool(target, options, this.#format, name, tls));
    this.#balancer = new TargetBalancer(
      name,
      this.#pools.map((pool, index) => ({ target: pool, weight: options.targets[index]!.weight, label: pool.target.label })),
      options,
    );
    this.#circuits = options.circuitBreaker === undefined ? undefined : new ServiceCircuits(name, options.circuitBreaker, this.#pools, (pool) => pool.target.label);
    this.#checker = options.healthCheck === undefined ? undefined : new HealthChecker(name, this.#balancer, options.healthCheck, tcpConnectProbe, context.logger);
  }

  circuits(): CircuitSnapshot | undefined {
    return this.#circuits?.snapshot();
  }

  handlerFor(route: RouteInfo<TcpUpstreamOptions>): Handler {
    const timeout = route.upstream.timeout ?? this.#options.timeout;
    const upstreamPath = route.upstream.path === undefined ? undefined : compileUpstreamPath(route.upstream.path, route.template);
    const retry = route.upstream.retry === undefined ? undefined : new RetryPolicy(route.upstream.retry);
    return async (request) => {
      const body = await this.#frameBody(request);
      const path = upstreamPath === undefined ? request.path : upstreamPath.build(request, body?.kind === "value" ? body.value : undefined);
      if (path instanceof GatewayError) throw path;
      // Headers after the body: encoding it may set the Content-Type they carry.
      const frame: Frame = {
        id: "",
        method: route.upstream.method ?? request.method,
        path: request.rawQuery === "" ? path : `${path}?${request.rawQuery}`,
        headers: toFrameHeaders(stripHopByHop({ ...request.headers }), notForwarded),
        body,
      };
      const budget = callBudget(timeout, request.deadline);
      const retried = retry?.allowsHttpMethod(frame.method ?? "") ? retry : undefined;
      if (this.#circuits === undefined && retried === undefined) return this.#responseOf(await this.#call(request, frame, budget, undefined, undefined));
      return this.#responseOf(await this.#guarded(request, frame, budget, retried));
    };
  }

  /** A call through the service's circuit (fast 503 when open or past maxPending) and the route's retries. */
  async #guarded(request: RequestEnvelope, frame: Frame, budget: number, retry: RetryPolicy | undefined): Promise<Frame> {
    const circuits = this.#circuits;
    const ticket = circuits === undefined ? REFUSED : circuits.enter();
    if (ticket instanceof GatewayError) throw ticket;
    const record: TryRecord = { last: undefined, connectFailed: false };
    let outcome: CallOutcome = "neutral";
    try {
      const reply =
        retry === undefined ? await this.#call(request, frame, budget, undefined, record) : await retry.run(request.cancellation, Date.now() + budget, this.#retryable(request, frame, budget, record));
      outcome = unhealthyStatuses.has(reply.status ?? 200) ? "failure" : "success";
      return reply;
    } catch (error) {
      const unreachable = error instanceof GatewayError && (error.code === StatusCode.UNAVAILABLE || error.code === StatusCode.DEADLINE_EXCEEDED) && !isMalformedReply(error);
      outcome = unreachable && !request.cancellation.cancelled ? "failure" : "neutral";
      throw error;
    } finally {
      if (ticket !== REFUSED) circuits!.leave(ticket, outcome);
    }
  }

  #retryable(request: RequestEnvelope, frame: Frame, budget: number, record: TryRecord): RetryableCall<Frame> {
    const endAt = Date.now() + budget;
    return {
      attempt: (retry) => (retry === 0 ? this.#call(request, frame, budget, undefined, record) : this.#call(request, frame, Math.max(0, endAt - Date.now()), record.last, record)),
      answered: (reply) => ((reply.status ?? 200) >= 400 ? verdictOfStatus(reply.status!) : undefined),
      failed: (error) => {
        if (!(error instanceof GatewayError) || error.code === StatusCode.CANCELLED || isMalformedReply(error)) return undefined;
        return verdictOfCode(error.code, record.connectFailed, !record.connectFailed && error.code === StatusCode.UNAVAILABLE);
      },
      discard: () => {},
      // Frame bodies are whole bytes or values: always replayable.
      replayable: () => true,
    };
  }

  /** The balancer's pick (`request` feeds a consistent hash), passed over targets whose circuit is open; throws a 503 when none may be tried. */
  #pick(request: RequestEnvelope, previous: TargetState<TargetPool> | undefined): PickedTarget<TargetPool> {
    if (this.#circuits === undefined) return { state: this.#balancer.pick(request, previous), ticket: REFUSED };
    return this.#circuits.pick(this.#balancer, request, previous);
  }

  /** Tries each target at most once while connections cannot be opened (the frame was never sent). */
  async #call(request: RequestEnvelope, frame: Frame, budget: number, first: TargetState<TargetPool> | undefined, record: TryRecord | undefined): Promise<Frame> {
    let previous = first;
    for (let attempt = 0; ; attempt++) {
      const picked = this.#pick(request, previous);
      const state = picked.state;
      if (record !== undefined) {
        record.last = state;
        record.connectFailed = false;
      }
      let connection: Awaited<ReturnType<TargetPool["acquire"]>>;
      try {
        connection = await state.target.acquire();
      } catch (error) {
        this.#balancer.failed(state);
        this.#circuits?.tried(picked, "failure");
        if (record !== undefined) record.connectFailed = true;
        if (attempt + 1 < this.#pools.length) {
          previous = state;
          continue;
        }
        throw error;
      }
      this.#balancer.started(state);
      try {
        const reply = await connection.call(frame, budget, (callback) => request.cancellation.onCancel(callback));
        this.#balancer.succeeded(state);
        this.#circuits?.tried(picked, unhealthyStatuses.has(reply.status ?? 200) ? "failure" : "success");
        return reply;
      } catch (error) {
        // A malformed reply speaks for the request, not the target's health (see malformedReply).
        const failed = !request.cancellation.cancelled && !isMalformedReply(error);
        if (failed) this.#balancer.failed(state);
        this.#circuits?.tried(picked, failed ? "failure" : "neutral");
        throw error;
      } finally {
        this.#balancer.finished(state);
        state.target.release(connection);
      }
    }
  }

  async #frameBody(request: RequestEnvelope): Promise<FrameBody | undefined> {
    const body = request.body;
    switch (body.kind) {
      case "empty":
        return undefined;
      case "value": {
        if (this.#format.name === "json") return { kind: "value", value: body.value };
        // Values from other listeners go as JSON bytes in the other frame formats.
        const encoded = encodeValue(this.#codecs.json, body.value);
        if (encoded instanceof GatewayError) throw encoded;
        request.headers["content-type"] = encoded.mediaType;
        return { kind: "bytes", bytes: encoded.bytes };
      }
      case "messages":
        throw new GatewayError(StatusCode.UNIMPLEMENTED, `upstream "${this.#name}" is a TCP service; client streams cannot be sent to it`);
      default:
        // JSON frames put JSON bytes inline; other bytes go as the frame format writes them.
        return { kind: "bytes", bytes: await readBodyBytes(body, this.#options.maxFrameBytes) };
    }
  }

  #responseOf(frame: Frame): ResponseEnvelope {
    const headers: HeaderMap = { ...frame.headers };
    let body: Body = emptyBody;
    if (frame.body?.kind === "value") body = valueBody(frame.body.value);
    else if (frame.body?.kind === "bytes") {
      headers["content-type"] ??= this.#format.bodyMediaType;
      body = bytesBody(frame.body.bytes);
    }
    return { status: frame.status ?? 200, headers, body };
  }

  routes(): readonly EndpointRoute<TcpUpstreamOptions>[] {
    return [];
  }

  targets(): readonly TargetStatus[] {
    return this.#balancer.statuses();
  }

  async close(): Promise<void> {
    this.#checker?.stop();
    for (const pool of this.#pools) pool.close();
  }
}

export const tcpEndpointFactory: EndpointFactory<TcpServiceOptions, TcpUpstreamOptions> = {
  protocol: "tcp",
  serviceSchema: tcpServiceSchema,
  upstreamSchema: tcpUpstreamSchema,
  create: async (name, options, context) => new TcpEndpoint(name, options, context),
};
