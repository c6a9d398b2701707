import type { Schema } from "../config/schema.js";
import type { BodyShape } from "./body-shape.js";

/**
 * Bytes ⇄ canonical value (the ProtoJSON-shaped object). One interface for
 * every wire format; codecs are found by media type in the codec registry.
 * `decode` throws a GatewayError (INVALID_ARGUMENT or RESOURCE_EXHAUSTED)
 * that says where the input broke. The shape, when the route knows one,
 * types what the bytes alone cannot (XML text, protobuf fields); a codec may
 * answer a Promise when it parses big inputs off the main thread.
 */
export interface Codec {
  readonly name: string;
  /** The first is written in Content-Type; all are accepted. */
  readonly mediaTypes: readonly string[];
  encode(value: unknown, shape?: BodyShape): Uint8Array;
  decode(bytes: Uint8Array, shape?: BodyShape): unknown;
  /** The largest input `decode` accepts, so a reader can refuse a longer declared body before reading it. */
  readonly maxBytes?: number;
  /** Releases what the codec holds (worker threads), when the gateway stops. */
  close?(): Promise<void>;
}

export interface CodecFactory<Options> {
  readonly name: string;
  readonly optionsSchema: Schema<Options>;
  create(options: Options): Codec;
}
