import type { Handler } from "../core/handler.js";
import type { Schema } from "../options/schema.js";
import type { CodecRegistry } from "../codecs/codec-registry.js";
import type { Registry } from "../core/registry.js";
import type { FrameFormatFactory } from "../frames/frame-format.js";
import type { Logger } from "../observability/logger.js";
import type { PathTemplate } from "../pipeline/path-template.js";
import type { MessageShape } from "../protojson/message-shape.js";
import type { CircuitSnapshot } from "./service-circuits.js";
import type { TargetStatus } from "./target-balancer.js";

export interface EndpointContext {
  readonly codecs: CodecRegistry;
  /** Frame formats by name, for framed upstreams (`codec` of a tcp service). */
  readonly frameFormats: Registry<FrameFormatFactory>;
  readonly logger: Logger;
  /** `protos.include` of the config, resolved against the config file's folder. */
  readonly protoIncludes: readonly string[];
  /** The config path of this service, for errors: `services.bookstore`. */
  readonly configPath: string;
  /** The config file's folder: relative file paths in options (TLS certificates) resolve against it. */
  readonly baseDirectory: string;
}

/** What an endpoint knows of the route it serves when it builds that route's handler. */
export interface RouteInfo<UpstreamOptions> {
  readonly id: string;
  /** The route's match template, whose variables the router binds into `request.params`. */
  readonly template: PathTemplate | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly upstream: UpstreamOptions;
  /** Where the route is in the config (`routes[3]`), or where it came from (`services.x (google.api.http of …)`), for errors. */
  readonly configPath: string;
}

/** A route an endpoint contributes by itself, e.g. from google.api.http annotations. */
export interface EndpointRoute<UpstreamOptions> {
  readonly id: string;
  readonly template: PathTemplate;
  readonly methods: ReadonlySet<string>;
  readonly upstream: UpstreamOptions;
}

/** The message types of a route, for filters that check or make messages (validate, mock). */
export interface RouteMessages {
  readonly request: MessageShape | undefined;
  readonly response: MessageShape | undefined;
}

/**
 * What a route calls, in proto terms, for API documents (OpenAPI): the
 * messages as the route maps them and how its replies are framed. Built at
 * start-up from the same options the route's handler is built from.
 */
export interface RouteOperation {
  /** Stable name of the call: `Service_Method` for a gRPC method; the route id for an HTTP route. */
  readonly name: string;
  /** The proto service (`pkg.Service`), for grouping; undefined for HTTP routes. */
  readonly service: string | undefined;
  readonly serviceDescription: string | undefined;
  /** The method's leading comment. */
  readonly description: string | undefined;
  /** The whole request message: its fields are the body, path and query parameters. */
  readonly request: MessageShape | undefined;
  /** "*" (the body is the message), a field path in proto names (`payload.input_value`), or undefined (no body). */
  readonly body: string | undefined;
  /**
   * True: path variables and query parameters fill fields of the request
   * message (google.api.http). False: the body is the message as sent, and
   * path variables only route.
   */
  readonly transcoded: boolean;
  /** The reply body: the response message, or its response_body field. */
  readonly response: MessageShape | undefined;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  /** The route's default framing of a server stream (`ndjson`, `sse`, `array`). */
  readonly streamFormat: string | undefined;
  readonly successStatus: number;
}

/** One upstream service: owns its connections, target selection, health and timeouts. */
export interface Endpoint<UpstreamOptions> {
  /**
   * Builds the handler of one route: expensive work here, a lean closure per
   * request. Throws a ConfigError when the route cannot work (an unknown method).
   */
  handlerFor(route: RouteInfo<UpstreamOptions>): Handler;
  /** Routes the service brings with it; they come after the config's own routes. */
  routes(): readonly EndpointRoute<UpstreamOptions>[];
  /** The route's message types, if the endpoint has them; never throws (a bad route is handlerFor's to report). */
  messagesOf?(route: RouteInfo<UpstreamOptions>): RouteMessages | undefined;
  /** What the route calls, for API documents; undefined when its bodies are not typed. Never throws. */
  operationOf?(route: RouteInfo<UpstreamOptions>): RouteOperation | undefined;
  /** Each target's state (health check verdict, passive ejection, weight), read-only, for metrics and the admin API. */
  targets?(): readonly TargetStatus[];
  /** The service's circuit breakers now (read-only, for metrics and admin); undefined when `circuitBreaker` is not set. */
  circuits?(): CircuitSnapshot | undefined;
  close(): Promise<void>;
}

export interface EndpointFactory<ServiceOptions = unknown, UpstreamOptions = unknown> {
  readonly protocol: string;
  /** The options of `services.<name>`. */
  readonly serviceSchema: Schema<ServiceOptions>;
  /** The options of a route's `upstream` besides `service`. */
  readonly upstreamSchema: Schema<UpstreamOptions>;
  /** May load schemas (protos, reflection); rejects with a ConfigError naming the service's config path. */
  create(name: string, options: ServiceOptions, context: EndpointContext): Promise<Endpoint<UpstreamOptions>>;
}
