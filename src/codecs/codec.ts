import type { Schema } from "../options/schema.js";
import type { BodyShape } from "../core/body-shape.js";
import type { MessageShape } from "../protojson/message-shape.js";
import type { MessageBinding } from "./offload/message-binding.js";

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
  /**
   * A big body straight to the protobuf bytes of the request message
   * `shape.type` on a worker thread (decode, fill the message from the body,
   * path and query as the binding says, encode), with the same results and
   * errors as the main thread's `decode` and encode; undefined when the codec
   * keeps this body on the main thread.
   */
  toMessage?(bytes: Uint8Array, shape: MessageShape, binding: MessageBinding): Promise<Uint8Array> | undefined;
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
