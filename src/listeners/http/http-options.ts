import { isIP } from "node:net";
import { byteSize, duration, integer, list, object, optional, refine, string, withDefault, type Infer } from "../../options/schema.js";
import { webSocketSchema } from "../ws/ws-options.js";
import { ConfigErrorCode } from "../../options/error-codes.js";
import { listenerBaseFields, listenerTlsField } from "../listener.js";

const cidr = refine(string(), (value, context) => {
  const [address, bits, extra] = value.split("/");
  const family = isIP(address ?? "");
  const maxBits = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? maxBits : Number(bits);
  if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > maxBits) {
    return context.report(ConfigErrorCode.VALUE, `"${value}" is not an IP address or CIDR block`);
  }
  return value;
});

/** Safe edge defaults: each limit answers with a precise status instead of failing silently. */
export const httpListenerSchema = object(
  {
    ...listenerBaseFields(),
    ...listenerTlsField(),
    maxHeaderCount: withDefault(integer({ min: 1, max: 10_000 }), 100, "request headers accepted; more → 431"),
    maxHeaderBytes: withDefault(byteSize({ min: 1024 }), 16 * 1024, "bytes of the request line and headers; more → 431"),
    maxBodyBytes: withDefault(byteSize({ min: 0 }), 10 * 1024 * 1024, "request body bytes; more → 413 (before reading when Content-Length says so)"),
    bufferBodyBytes: withDefault(
      byteSize({ min: 0 }),
      1024 * 1024,
      "request bodies up to this size (by Content-Length, or chunked ones that end before it) are received whole before the upstream call, so a caller trickling its body holds no upstream connection; larger ones stream",
    ),
    bodyBufferBytes: withDefault(byteSize({ min: 0 }), 64 * 1024 * 1024, "request-body bytes held in memory at once across the listener's requests; a body that does not fit streams"),
    bodyIdleTimeout: withDefault(duration({ min: 1 }), 10_000, "longest pause between request body bytes; longer → 408 and the connection closes"),
    headersTimeout: withDefault(duration({ min: 1 }), 10_000, "time to receive the request headers (→ 408, checked each second)"),
    requestTimeout: withDefault(duration(), 300_000, "time to receive the whole request; 0s disables"),
    keepAliveTimeout: withDefault(duration(), 5_000, "how long an idle keep-alive connection stays open"),
    maxConnections: withDefault(integer({ min: 0 }), 0, "open connections accepted at once; 0 = no limit"),
    trustedProxies: withDefault(list(cidr), [], "peers (IP or CIDR) whose X-Forwarded-* headers are kept and extended; from anyone else they are replaced"),
    websocket: optional(webSocketSchema, "accept WebSocket frames on this port, by upgrade on `websocket.path` (the options of a ws listener)"),
  },
  "http listener",
);

export type HttpListenerOptions = Infer<typeof httpListenerSchema>;
