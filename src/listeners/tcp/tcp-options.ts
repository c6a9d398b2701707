import { ConfigErrorCode } from "../../options/error-codes.js";
import { ndjsonFormatProblem } from "../../frames/stream-framing.js";
import { byteSize, object, oneOf, refine, withDefault, type Infer } from "../../options/schema.js";
import { framedConnectionFields, framedListenerFields } from "../framed-options.js";
import { listenerBaseFields, listenerTlsField } from "../listener.js";

const tcpListenerObject = object(
  {
    ...listenerBaseFields(),
    ...listenerTlsField(),
    ...framedListenerFields(),
    ...framedConnectionFields(),
    framing: withDefault(oneOf(["ndjson", "length-prefixed"]), "ndjson", "ndjson: one JSON frame per line; length-prefixed: a 4-byte big-endian length before each frame (any codec)"),
    maxBufferedBytes: withDefault(byteSize({ min: 1024 }), 8 * 1024 * 1024, "unsent reply bytes above which a caller that does not read is disconnected (one frame always fits, whatever its size)"),
  },
  "tcp listener",
);

export const tcpListenerSchema = refine(tcpListenerObject, (options, context) => {
  const problem = ndjsonFormatProblem(options.framing, options.codec);
  if (problem !== undefined) return context.at("framing").report(ConfigErrorCode.VALUE, problem);
  return options;
});

export type TcpListenerOptions = Infer<typeof tcpListenerObject>;
