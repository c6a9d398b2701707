import { FRAME_HEADER_SIZE } from "./frames.js";

/** Who receives whole frames; `payload` is a view into the chunk the socket read (Node never reuses those). */
export interface FrameSink {
  frame(type: number, flags: number, streamId: number, payload: Buffer): void;
  /** A frame longer than the size this side announced: a FRAME_SIZE_ERROR. */
  oversized(length: number): void;
}

/**
 * Cuts the socket's byte stream into frames without copying a payload that
 * lies inside one chunk; only a frame split across chunks is joined.
 */
export class FrameReader {
  readonly #sink: FrameSink;
  readonly #maxFrameSize: number;
  #pending: Buffer | undefined;
  #stopped = false;

  constructor(sink: FrameSink, maxFrameSize: number) {
    this.#sink = sink;
    this.#maxFrameSize = maxFrameSize;
  }

  /** Stops delivering frames (after a connection error), even the rest of the current chunk. */
  stop(): void {
    this.#stopped = true;
    this.#pending = undefined;
  }

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#pending !== undefined) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let offset = 0;
    const end = data.byteLength;
    while (!this.#stopped && end - offset >= FRAME_HEADER_SIZE) {
      const length = ((data[offset] ?? 0) << 16) | ((data[offset + 1] ?? 0) << 8) | (data[offset + 2] ?? 0);
      if (length > this.#maxFrameSize) {
        this.stop();
        this.#sink.oversized(length);
        return;
      }
      const frameEnd = offset + FRAME_HEADER_SIZE + length;
      if (frameEnd > end) break;
      const streamId = data.readUInt32BE(offset + 5) & 0x7fff_ffff;
      this.#sink.frame(data[offset + 3] ?? 0, data[offset + 4] ?? 0, streamId, data.subarray(offset + FRAME_HEADER_SIZE, frameEnd));
      offset = frameEnd;
    }
    if (!this.#stopped && offset < end) this.#pending = offset === 0 ? data : data.subarray(offset);
  }
}
