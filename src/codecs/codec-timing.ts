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

/** The codec's timer, if its gateway measures codecs. */
export function codecTimer(codec: Codec): CodecTimer | undefined {
  return timers.get(codec);
}
