import { ConfigErrorCode } from "../../config/error-codes.js";
import { byteSize, object, refine, string, withDefault, type Infer } from "../../config/schema.js";
import { framedConnectionFields, framedListenerFields } from "../framed-options.js";
import { listenerBaseFields } from "../listener.js";

const tcpListenerObject = object({
  ...listenerBaseFields(),
  ...framedListenerFields(),
  ...framedConnectionFields(),
  framing: withDefault(string({ oneOf: ["ndjson", "length-prefixed"] }), "ndjson", "ndjson: one JSON frame per line; length-prefixed: a 4-byte big-endian length before each frame (any codec)"),
  maxBufferedBytes: withDefault(byteSize({ min: 1024 }), 8 * 1024 * 1024, "unsent reply bytes above which a caller that does not read is disconnected"),
}, "tcp listener");

/** NDJSON frames are JSON by definition: an XML or protobuf frame may hold a newline. */
export const tcpListenerSchema = refine(tcpListenerObject, (options, context) => {
  if (options.framing === "ndjson" && options.codec !== "json") {
    return context.at("framing").report(ConfigErrorCode.VALUE, `framing "ndjson" carries JSON frames only; use framing: length-prefixed for codec "${options.codec}"`);
  }
  return options;
});

export type TcpListenerOptions = Infer<typeof tcpListenerObject>;
