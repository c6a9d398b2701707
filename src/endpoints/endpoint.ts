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
