import type { Filter } from "../core/handler.js";
import type { CodecRegistry } from "../codecs/codec-registry.js";
import type { Logger } from "../observability/logger.js";
import type { Schema } from "../options/schema.js";
import type { SharedRedis } from "./redis-connection.js";
import type { MessageShape } from "../protojson/message-shape.js";

/** The route a filter instance sits on. */
export interface FilterRoute {
  readonly id: string;
  /** The request message type, when the route's endpoint knows it (a gRPC method, an HTTP route's requestType); `field` is the body field when the body is one field of it. */
  readonly requestShape?: MessageShape | undefined;
  /** The response message type, when known; `field` is the response_body field when only one field is answered. */
  readonly responseShape?: MessageShape | undefined;
}

/** What a filter factory may use while it builds a filter: everything here is fixed for the gateway's life. */
export interface FilterContext {
  /** The route this instance is on; undefined for a global filter (global filters run before routing). */
  readonly route: FilterRoute | undefined;
  /** Where the entry is in the config (`routes[2].filters[0].rate-limit`), for ConfigErrors. */
  readonly configPath: string;
  /** The config file's folder: relative file paths in options resolve against it. */
  readonly baseDirectory: string;
  readonly logger: Logger;
  readonly codecs: CodecRegistry;
  /** The gateway's one Redis connection (top-level `redis`), opened on first use; undefined when the config has none. */
  readonly redis: SharedRedis | undefined;
  /** Registers what to release (timers, connections) when the gateway stops or is replaced. */
  onClose(release: () => Promise<void> | void): void;
}

/**
 * A filter kind, referenced by name in config (`- request-headers: {…}`).
 * Options are validated once by its schema; `create` does the expensive
 * work (it may throw a ConfigError naming `context.configPath`) and returns
 * the per-request closure.
 */
export interface FilterFactory<Options = unknown> {
  readonly name: string;
  readonly description: string;
  readonly optionsSchema: Schema<Options>;
  create(options: Options, context: FilterContext): Filter;
}
