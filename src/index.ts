/**
 * Rosetta as a library: `import { createGateway } from "rosetta-gateway"`.
 * Everything a program needs to embed the gateway and to extend it without
 * forking — the plugin interfaces, the envelope, errors and the options
 * toolkit plugins declare their options with. Anything not exported here is
 * internal and may move.
 */

// Building and running a gateway
export { createGateway, type CreateGatewayOptions } from "./gateway/create-gateway.js";
export type { Gateway } from "./gateway/gateway.js";
export type { InjectRequest, InjectResponse } from "./gateway/inject.js";
export { builtinPlugins, type Plugins } from "./gateway/plugins.js";
export { validateGatewayConfig, type GatewayConfig } from "./gateway/gateway-config.js";
export { loadConfigFile } from "./gateway/load-config.js";

// The request and response every plugin sees
export type { RequestEnvelope, ResponseEnvelope, HeaderMap, Peer, PeerTls, TraceContext } from "./core/envelope.js";
export { mediaTypeOf } from "./core/envelope.js";
export {
  emptyBody,
  bytesBody,
  valueBody,
  type Body,
  type EmptyBody,
  type BytesBody,
  type ValueBody,
  type ReadableBody,
  type PushBody,
  type MessagesBody,
  type PushSource,
  type PushSink,
  type StreamFormat,
} from "./core/body.js";
export { readBodyBytes, bodyTooLarge } from "./core/read-body.js";
export { createRequestEnvelope, type RequestInit } from "./core/request.js";
export { composeFilters, type Handler, type Filter } from "./core/handler.js";
export type { Cancellation } from "./core/cancellation.js";
export { createContextKey, type ContextKey, type ContextBag } from "./core/context.js";

// Errors
export { GatewayError, type ErrorDetail, type StatusBody, type GatewayErrorOptions } from "./core/gateway-error.js";
export { StatusCode } from "./core/status-code.js";
export { errorResponse } from "./core/error-response.js";
export { ConfigError, ConfigErrorCode, type ConfigProblem } from "./options/error-codes.js";

// Plugin interfaces, one registry each in Plugins
export type { Registry } from "./core/registry.js";
export type { ListenerFactory, Listener, ListenerContext, ListenerBaseOptions } from "./listeners/listener.js";
export type { EndpointFactory, Endpoint, EndpointContext, EndpointRoute, RouteInfo } from "./endpoints/endpoint.js";
export type { FilterFactory } from "./filters/filter-factory.js";
export type { Codec, CodecFactory } from "./codecs/codec.js";
export type { CodecRegistry } from "./codecs/codec-registry.js";
export type { FrameFormat, FrameFormatFactory } from "./frames/frame-format.js";
export type { Frame, FrameBody } from "./frames/frame.js";
export { documentShape, type BodyShape, type DocumentShape } from "./core/body-shape.js";
export type { MessageShape } from "./protojson/message-shape.js";
export { createLogger, silentLogger, type Logger, type LogLevel } from "./observability/logger.js";
export type { PathTemplate } from "./pipeline/path-template.js";

/** The options toolkit: `options.object({...})`, `options.duration()`, … — how a plugin declares its options. */
export * as options from "./options/schema.js";
