import type { CodecRegistry } from "../codecs/codec-registry.js";
import type { Frame } from "./frame.js";

/**
 * Frame ⇄ bytes in one wire format. Listeners pick one per config
 * (`codec: json | xml | protobuf`); the TCP upstream endpoint uses the same.
 */
export interface FrameFormat {
  readonly name: string;
  /** Frames are binary (WebSocket binary messages) rather than text. */
  readonly binary: boolean;
  /** The body media type of a frame whose headers name none (JSON frames: JSON, inline). */
  readonly bodyMediaType: string;
  /** Throws (or rejects with) a FrameError naming what is wrong; XML frames may be parsed off the main thread. */
  decode(bytes: Uint8Array): Frame | Promise<Frame>;
  encode(frame: Frame): Uint8Array;
}

/** A frame format by the name listeners and TCP services give in `codec`; registered in plugins.ts. */
export interface FrameFormatFactory {
  readonly name: string;
  create(codecs: CodecRegistry, limits: { readonly maxFrameBytes: number }): FrameFormat;
}
