import { byteSize, duration, integer, registered, withDefault, type Fields } from "../options/schema.js";

/** The options every framed listener (ws, tcp, udp) has: the frame format and its limits. */
export function framedListenerFields() {
  return {
    codec: withDefault(registered("frame format"), "json", "the frame format: json, xml, protobuf (protos/rosetta/v1/frame.proto) or any other registered one"),
    maxFrameBytes: withDefault(byteSize({ min: 64 }), 1024 * 1024, "largest frame accepted; larger → an error frame (and, on streams, the connection closes)"),
    maxReplyBytes: withDefault(byteSize({ min: 64 }), 4 * 1024 * 1024, "largest upstream reply body put into a frame; larger → an error frame"),
  } satisfies Fields;
}

/** Connection-oriented framed listeners (ws, tcp): many calls per connection. */
export function framedConnectionFields() {
  return {
    maxInFlight: withDefault(integer({ min: 1, max: 100_000 }), 100, "calls open at once on one connection; more → an error frame (429)"),
    maxQueuedMessages: withDefault(integer({ min: 1 }), 256, "client-stream messages waiting for the upstream, per call; more fails that call (429)"),
    maxConnections: withDefault(integer({ min: 0 }), 10_000, "open connections at once; 0 = no limit"),
    idleTimeout: withDefault(duration(), 300_000, "a connection with no frame in either direction for this long is closed; 0s disables"),
  } satisfies Fields;
}
