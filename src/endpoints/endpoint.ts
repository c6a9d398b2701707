import type { Handler } from "../core/handler.js";
import type { Schema } from "../config/schema.js";
import type { CodecRegistry } from "../codecs/codec-registry.js";
import type { Logger } from "../observability/logger.js";
import type { PathTemplate } from "../pipeline/path-template.js";

export interface EndpointContext {
  readonly codecs: CodecRegistry;
  readonly logger: Logger;
}

/** What an endpoint knows of the route it serves when it builds that route's handler. */
export interface RouteInfo<UpstreamOptions> {
  readonly id: string;
  /** The route's match template, whose variables the router binds into `request.params`. */
  readonly template: PathTemplate | undefined;
  readonly upstream: UpstreamOptions;
}

/** One upstream service: owns its connections, target selection, health and timeouts. */
export interface Endpoint<UpstreamOptions> {
  /** Builds the handler of one route: expensive work here, a lean closure per request. */
  handlerFor(route: RouteInfo<UpstreamOptions>): Handler;
  close(): Promise<void>;
}

export interface EndpointFactory<ServiceOptions = unknown, UpstreamOptions = unknown> {
  readonly protocol: string;
  /** The options of `services.<name>`. */
  readonly serviceSchema: Schema<ServiceOptions>;
  /** The options of a route's `upstream` besides `service`. */
  readonly upstreamSchema: Schema<UpstreamOptions>;
  create(name: string, options: ServiceOptions, context: EndpointContext): Endpoint<UpstreamOptions>;
}
