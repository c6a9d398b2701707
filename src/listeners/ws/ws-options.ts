import { boolean, byteSize, duration, object, string, withDefault, type Infer } from "../../options/schema.js";
import { framedConnectionFields, framedListenerFields } from "../framed-options.js";
import { listenerBaseFields, listenerTlsField } from "../listener.js";

/** What a WebSocket endpoint needs, standalone or on an HTTP listener's path. */
export function webSocketFields() {
  return {
    path: withDefault(string({ pattern: /^\//, patternHint: "a path starting with /" }), "/", "the upgrade path; other paths are refused with 404"),
    ...framedListenerFields(),
    ...framedConnectionFields(),
    compression: withDefault(boolean(), false, "permessage-deflate; off by default, and when on, a message still inflates to at most maxFrameBytes"),
    // Defaults: a dead peer is gone within pingInterval + pingTimeout (35 s), and one that stops reading holds at most ~4 MiB.
    pingInterval: withDefault(duration({ min: 100 }), 25_000, "how often a ping is sent"),
    pingTimeout: withDefault(duration({ min: 100 }), 10_000, "how long a ping may go unanswered before the connection is terminated (its calls cancelled)"),
    highWaterBytes: withDefault(byteSize({ min: 1024 }), 64 * 1024, "unsent reply bytes above which server streams pause (the upstream is not read)"),
    maxBufferedBytes: withDefault(byteSize({ min: 1024 }), 4 * 1024 * 1024, "unsent reply bytes above which a caller that does not read is disconnected (one frame always fits, whatever its size)"),
  };
}

export const webSocketSchema = object(webSocketFields(), "websocket options");

export const wsListenerSchema = object(
  {
    ...listenerBaseFields(),
    ...listenerTlsField(),
    ...webSocketFields(),
    handshakeTimeout: withDefault(duration({ min: 100 }), 10_000, "time to receive the whole upgrade request; a slower one gets 408 and is closed (within a second of the limit)"),
  },
  "ws listener",
);

export type WebSocketOptions = Infer<typeof webSocketSchema>;
export type WsListenerOptions = Infer<typeof wsListenerSchema>;
