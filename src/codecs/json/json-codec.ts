import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { byteSize, integer, object, withDefault, type Infer } from "../../options/schema.js";
import type { Codec, CodecFactory } from "../codec.js";
import { offloadToMessage } from "../offload/offload-to-message.js";
import { findForbiddenKey } from "./forbidden-keys.js";
import { measureDepth } from "./json-depth.js";
import { stringifyExact, withExactNumbers } from "./exact-numbers.js";
import { locateSyntaxError } from "./json-syntax-error.js";

const optionsSchema = object({
  maxDepth: withDefault(integer({ min: 1, max: 10_000 }), 64, "deepest nesting of objects and arrays accepted"),
  maxBytes: withDefault(byteSize({ min: 2 }), 4 * 1024 * 1024, "largest JSON document decoded"),
  offloadAbove: withDefault(
    byteSize({ min: 1 }),
    64 * 1024,
    "bodies at least this big bound for a gRPC message are decoded and encoded to protobuf on a worker thread, so one big body never stalls other requests",
  ),
  workers: withDefault(integer({ min: 0, max: 64 }), 1, "worker threads for big bodies; 0 keeps everything on the main thread"),
});

export type JsonCodecOptions = Infer<typeof optionsSchema>;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * JSON with limits. JSON.parse is native and fast; the limits are checked
 * around it: size first, then nesting depth by a scan of the bytes (so a
 * 100 000-deep document never reaches the parser), and keys that could
 * pollute a prototype are refused after a cheap substring check. Numbers
 * a double cannot hold exactly come back as ExactNumbers (exact-numbers.ts).
 */
export function createJsonCodec(options: JsonCodecOptions): Codec {
  const { maxDepth, maxBytes } = options;
  const offload = offloadToMessage(options.workers, options.offloadAbove, { codec: "json", options });
  return {
    name: "json",
    mediaTypes: ["application/json", "text/json"],
    maxBytes,
    toMessage: offload.toMessage,
    close: offload.close,
    encode(value) {
      return encoder.encode(stringifyExact(value) as string);
    },
    decode(bytes) {
      if (bytes.byteLength > maxBytes) {
        throw new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `JSON body of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`, { httpStatus: 413 });
      }
      if (bytes.byteLength > maxDepth && measureDepth(bytes, maxDepth) > maxDepth) {
        throw new GatewayError(StatusCode.INVALID_ARGUMENT, `JSON nesting exceeds the limit of ${maxDepth} levels`);
      }
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        throw new GatewayError(StatusCode.INVALID_ARGUMENT, "JSON body is not valid UTF-8");
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new GatewayError(StatusCode.INVALID_ARGUMENT, describeSyntaxError(text));
      }
      const forbidden = findForbiddenKey(text, value);
      if (forbidden !== undefined) throw new GatewayError(StatusCode.INVALID_ARGUMENT, `JSON key ${forbidden} is not allowed`);
      return withExactNumbers(text, value);
    },
  };
}

/** "invalid JSON at line 3, column 7: expected a property name but found '}'". */
function describeSyntaxError(text: string): string {
  if (text.trim() === "") return "invalid JSON: the body is empty";
  const { offset, reason } = locateSyntaxError(text);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `invalid JSON at line ${line}, column ${column}: ${reason}`;
}

export const jsonCodecFactory: CodecFactory<JsonCodecOptions> = {
  name: "json",
  optionsSchema,
  create: createJsonCodec,
};
