import { Registry } from "../core/registry.js";
import type { CodecFactory } from "../codecs/codec.js";
import { jsonCodecFactory } from "../codecs/json/json-codec.js";
import { xmlCodecFactory } from "../codecs/xml/xml-codec.js";
import type { EndpointFactory } from "../endpoints/endpoint.js";
import { grpcEndpointFactory } from "../endpoints/grpc/grpc-endpoint.js";
import { httpEndpointFactory } from "../endpoints/http/http-endpoint.js";
import { tcpEndpointFactory } from "../endpoints/tcp/tcp-endpoint.js";
import type { FilterFactory } from "../filters/filter-factory.js";
import { apiKeyFilter } from "../filters/api-key.js";
import { basicAuthFilter } from "../filters/basic-auth.js";
import { jwtFilter } from "../filters/jwt.js";
import { requestHeadersFilter } from "../filters/request-headers.js";
import { requestIdFilter } from "../filters/request-id.js";
import { responseHeadersFilter } from "../filters/response-headers.js";
import { setStatusFilter } from "../filters/set-status.js";
import { rateLimitFilter } from "../filters/rate-limit.js";
import { ipFilter } from "../filters/ip-filter.js";
import { corsFilter } from "../filters/cors.js";
import { validateFilter } from "../filters/validate.js";
import { mockFilter } from "../filters/mock.js";
import type { ListenerFactory } from "../listeners/listener.js";
import { httpListenerFactory } from "../listeners/http/http-listener.js";
import { ftpListenerFactory } from "../listeners/ftp/ftp-listener.js";
import { tcpListenerFactory } from "../listeners/tcp/tcp-listener.js";
import { udpListenerFactory } from "../listeners/udp/udp-listener.js";
import { wsListenerFactory } from "../listeners/ws/ws-listener.js";
import { protobufCodecFactory } from "../codecs/protobuf/protobuf-codec.js";
import type { FrameFormatFactory } from "../frames/frame-format.js";
import { jsonFrameFormat } from "../frames/json-frame-format.js";
import { protobufFrameFormat } from "../frames/protobuf-frame-format.js";
import { xmlFrameFormat } from "../frames/xml-frame-format.js";

// Each registry holds factories of different option types; a factory's own schema types its options.
export interface Plugins {
  // biome-ignore-start lint/suspicious/noExplicitAny: options are typed per factory, not per registry
  readonly listeners: Registry<ListenerFactory<any>>;
  readonly endpoints: Registry<EndpointFactory<any, any>>;
  readonly filters: Registry<FilterFactory<any>>;
  readonly codecs: Registry<CodecFactory<any>>;
  // biome-ignore-end lint/suspicious/noExplicitAny: options are typed per factory, not per registry
  readonly frameFormats: Registry<FrameFormatFactory>;
}

/** Every extension Rosetta ships, registered explicitly: adding one is one line here. */
export function builtinPlugins(): Plugins {
  const plugins: Plugins = {
    listeners: new Registry("listener protocol"),
    endpoints: new Registry("service protocol"),
    filters: new Registry("filter"),
    codecs: new Registry("codec"),
    frameFormats: new Registry("frame format"),
  };
  for (const listener of [httpListenerFactory, wsListenerFactory, tcpListenerFactory, udpListenerFactory, ftpListenerFactory]) plugins.listeners.register(listener.protocol, listener);
  for (const endpoint of [httpEndpointFactory, grpcEndpointFactory, tcpEndpointFactory]) plugins.endpoints.register(endpoint.protocol, endpoint);
  for (const filter of [requestIdFilter, requestHeadersFilter, responseHeadersFilter, setStatusFilter, validateFilter, mockFilter]) plugins.filters.register(filter.name, filter);
  for (const filter of [apiKeyFilter, jwtFilter, basicAuthFilter]) plugins.filters.register(filter.name, filter);
  for (const filter of [rateLimitFilter, ipFilter, corsFilter]) plugins.filters.register(filter.name, filter);
  for (const codec of [jsonCodecFactory, xmlCodecFactory, protobufCodecFactory]) plugins.codecs.register(codec.name, codec);
  for (const format of [jsonFrameFormat, xmlFrameFormat, protobufFrameFormat]) plugins.frameFormats.register(format.name, format);
  return plugins;
}
