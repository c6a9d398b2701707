import type { BodyShape } from "../core/body-shape.js";
import type { Codec } from "./codec.js";

/** Told how long one codec call took: the codec's name, decode or encode, and seconds. */
export type CodecTimer = (codec: string, direction: "decode" | "encode", seconds: number) => void;

/**
 * Codec instances are made per gateway, so a timer keyed by instance belongs
 * to one gateway (its metrics registry) without any global state. Untimed
 * codecs cost one WeakMap lookup per call.
 */
const timers = new WeakMap<Codec, CodecTimer>();

export function timeCodec(codec: Codec, timer: CodecTimer): void {
  timers.set(codec, timer);
}

/** `codec.decode`, timed when the codec's gateway measures codecs. */
export async function timedDecode(codec: Codec, bytes: Uint8Array, shape?: BodyShape): Promise<unknown> {
  const timer = timers.get(codec);
  if (timer === undefined) return codec.decode(bytes, shape);
  const started = performance.now();
  const value = await codec.decode(bytes, shape);
  timer(codec.name, "decode", (performance.now() - started) / 1000);
  return value;
}

/** `codec.encode`, timed when the codec's gateway measures codecs. */
export function timedEncode(codec: Codec, value: unknown, shape?: BodyShape): Uint8Array {
  const timer = timers.get(codec);
  if (timer === undefined) return codec.encode(value, shape);
  const started = performance.now();
  const bytes = codec.encode(value, shape);
  timer(codec.name, "encode", (performance.now() - started) / 1000);
  return bytes;
}
