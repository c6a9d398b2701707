import type { Schema } from "../config/schema.js";

/**
 * Bytes ⇄ canonical value (the ProtoJSON-shaped object). One interface for
 * every wire format; codecs are found by media type in the codec registry.
 * `decode` throws a GatewayError (INVALID_ARGUMENT or RESOURCE_EXHAUSTED)
 * that says where the input broke.
 */
export interface Codec {
  readonly name: string;
  /** The first is written in Content-Type; all are accepted. */
  readonly mediaTypes: readonly string[];
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

export interface CodecFactory<Options> {
  readonly name: string;
  readonly optionsSchema: Schema<Options>;
  create(options: Options): Codec;
}
