import { Pool } from "undici";
import type { Body } from "../../core/body.js";
import { bytesBody } from "../../core/body.js";
import type { Handler } from "../../core/handler.js";
import type { HeaderMap, RequestEnvelope, ResponseEnvelope } from "../../core/envelope.js";
import { mediaTypeOf } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { readBodyBytes } from "../../core/read-body.js";
import { StatusCode } from "../../core/status-code.js";
import type { Codec } from "../../codecs/codec.js";
import type { Endpoint, EndpointContext, EndpointFactory, RouteInfo } from "../endpoint.js";
import { TargetBalancer, type TargetState } from "../target-balancer.js";
import { httpServiceSchema, httpUpstreamSchema, type HttpServiceOptions, type HttpUpstreamOptions } from "./http-options.js";
import { UpstreamCall } from "./upstream-call.js";
import { isConnectFailure, upstreamError } from "./upstream-error.js";
import { compileUpstreamPath, type UpstreamPath } from "./upstream-path.js";

interface Target {
  readonly origin: string;
  readonly host: string;
  readonly pool: Pool;
}

/** Upstream statuses that count against a target's health (they speak for the target, not the request). */
const unhealthyStatuses = new Set([502, 503, 504]);

/** Bodies read whole to find a path variable are capped by the JSON codec's own limit. */
const lookupBodyLimit = 4 * 1024 * 1024;

class HttpEndpoint implements Endpoint<HttpUpstreamOptions> {
  readonly #name: string;
  readonly #options: HttpServiceOptions;
  readonly #targets: readonly Target[];
  readonly #balancer: TargetBalancer<Target>;
  readonly #json: Codec;

  constructor(name: string, options: HttpServiceOptions, context: EndpointContext) {
    this.#name = name;
    this.#options = options;
    this.#json = context.codecs.byName("json");
    this.#targets = options.targets.map((origin): Target => ({
      origin,
      host: new URL(origin).host,
      pool: new Pool(origin, {
        connections: options.connections,
        keepAliveTimeout: options.keepAliveTimeout,
        connectTimeout: options.connectTimeout,
        // The per-attempt deadline is ours (it also covers connecting and queueing).
        headersTimeout: 0,
        bodyTimeout: options.bodyTimeout,
      }),
    }));
    this.#balancer = new TargetBalancer(this.#targets, options.ejection);
  }

  handlerFor(route: RouteInfo<HttpUpstreamOptions>): Handler {
    const upstreamPath = route.upstream.path === undefined ? undefined : compileUpstreamPath(route.upstream.path, route.template);
    const timeout = route.upstream.timeout ?? this.#options.timeout;
    const method = route.upstream.method;
    return async (request) => {
      const path = await this.#resolvePath(request, upstreamPath);
      return this.#send(request, method ?? request.method, request.rawQuery === "" ? path : `${path}?${request.rawQuery}`, timeout);
    };
  }

  async #resolvePath(request: RequestEnvelope, upstreamPath: UpstreamPath | undefined): Promise<string> {
    if (upstreamPath === undefined) return request.path;
    let body: unknown;
    if (upstreamPath.needsBody && mediaTypeOf(request.headers) === "application/json" && request.body.kind !== "empty") {
      // The body is read to look up variables and then forwarded as the same bytes.
      const bytes = request.body.kind === "value" ? this.#json.encode(request.body.value) : await readBodyBytes(request.body, lookupBodyLimit);
      request.body = bytesBody(bytes);
      body = this.#json.decode(bytes);
    }
    const built = upstreamPath.build(request, body);
    if (built instanceof GatewayError) throw built;
    return built;
  }

  async #send(request: RequestEnvelope, method: string, path: string, timeout: number): Promise<ResponseEnvelope> {
    const headers = request.headers;
    if (!this.#options.preserveHost) delete headers.host;
    const body = this.#upstreamBody(request.body, headers);
    let tried: TargetState<Target> | undefined;
    for (let attempt = 0; ; attempt++) {
      const state = this.#balancer.pick(tried);
      tried = state;
      try {
        const response = await this.#attempt(request, state.target, method, path, headers, body, timeout);
        if (unhealthyStatuses.has(response.status)) this.#balancer.failed(state);
        else this.#balancer.succeeded(state);
        return response;
      } catch (error) {
        if (request.cancellation.cancelled) throw upstreamError(request.cancellation.reason, this.#name, state.target.origin);
        if (!(error instanceof GatewayError) || error.code === StatusCode.DEADLINE_EXCEEDED || error.code === StatusCode.UNAVAILABLE) {
          this.#balancer.failed(state);
        }
        const replayable = body === null || !(typeof body === "object" && "readableDidRead" in body) || !body.readableDidRead;
        const retry = isConnectFailure(error) && replayable && attempt < this.#options.retries && this.#balancer.size > 1;
        if (!retry) throw upstreamError(error, this.#name, state.target.origin);
      }
    }
  }

  #upstreamBody(body: Body, headers: HeaderMap): Uint8Array | NodeJS.ReadableStream | null {
    switch (body.kind) {
      case "empty":
        return null;
      case "bytes":
        headers["content-length"] = String(body.bytes.byteLength);
        return body.bytes;
      case "value": {
        const bytes = this.#json.encode(body.value);
        headers["content-type"] = this.#json.mediaTypes[0]!;
        headers["content-length"] = String(bytes.byteLength);
        return bytes;
      }
      case "readable":
        return body.stream;
      case "push":
        throw new GatewayError(StatusCode.UNIMPLEMENTED, "a pushed request body cannot be forwarded to an HTTP upstream");
    }
  }

  #attempt(
    request: RequestEnvelope, target: Target, method: string, path: string, headers: HeaderMap,
    body: Uint8Array | NodeJS.ReadableStream | null, timeout: number,
  ): Promise<ResponseEnvelope> {
    const call = new UpstreamCall(method === "HEAD");
    const stopCancel = request.cancellation.onCancel((reason) => call.cancel(reason));
    const budget = request.deadline === undefined ? timeout : Math.min(timeout, request.deadline - Date.now());
    const timer = setTimeout(() => {
      call.cancel(new GatewayError(StatusCode.DEADLINE_EXCEEDED, `upstream "${this.#name}" (${target.origin}) did not answer within ${budget}ms`));
    }, Math.max(budget, 0));
    target.pool.dispatch({ origin: target.origin, method, path, headers, body: body as never }, call);
    return call.response.finally(() => {
      clearTimeout(timer);
      if (!call.started) stopCancel();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#targets.map((target) => target.pool.close().catch(() => {})));
  }
}

export const httpEndpointFactory: EndpointFactory<HttpServiceOptions, HttpUpstreamOptions> = {
  protocol: "http",
  serviceSchema: httpServiceSchema,
  upstreamSchema: httpUpstreamSchema,
  create: (name, options, context) => new HttpEndpoint(name, options, context),
};
