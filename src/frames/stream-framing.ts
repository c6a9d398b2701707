/** How frames are cut out of a byte stream (TCP). */
export type Framing = "ndjson" | "length-prefixed" | "line";

export const framings: readonly Framing[] = ["ndjson", "length-prefixed", "line"];

const NEWLINE = 10;
const lengthPrefix = 4;

/** The stream broke the framing: a frame over the limit, or a length that can never be valid. */
export class FramingError extends Error {}

/**
 * Cuts frames out of a byte stream. A frame over `maxFrameBytes` is refused
 * before it is buffered: from its 4-byte prefix (so a 0xFFFFFFFF prefix costs
 * nothing), or as soon as a line grows past the limit without its newline.
 */
export class FrameReader {
  readonly #framing: Framing;
  readonly #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The length of the frame being read (length-prefixed), once its prefix is in. */
  #expected = -1;

  constructor(framing: Framing, maxFrameBytes: number) {
    this.#framing = framing;
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** The frames completed by `chunk`, in order; throws FramingError when the stream can no longer be read. */
  push(chunk: Buffer): Buffer[] {
    return this.#framing === "length-prefixed" ? this.#pushPrefixed(chunk) : this.#pushLines(chunk);
  }

  /**
   * The stream has ended: a last line without its newline is still a frame
   * (what `printf '{…}' | nc -N` sends); a length-prefixed frame cut short
   * throws FramingError.
   */
  finish(): Buffer[] {
    if (this.#buffered === 0) return [];
    if (this.#framing === "length-prefixed") throw new FramingError(`the stream ended inside a frame (${this.#buffered} bytes of it received)`);
    return this.#pushLines(Buffer.from([NEWLINE]));
  }

  #pushLines(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let start = 0;
    let newline: number;
    while ((newline = chunk.indexOf(NEWLINE, start)) >= 0) {
      let line = chunk.subarray(start, newline);
      if (this.#buffered > 0) {
        line = Buffer.concat([...this.#chunks, line], this.#buffered + line.length);
        this.#chunks = [];
        this.#buffered = 0;
      }
      start = newline + 1;
      if (line.length > this.#maxFrameBytes) throw this.#tooLong();
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      // Blank lines are keep-alives between frames, not frames.
      if (line.length > 0) frames.push(line);
    }
    if (start < chunk.length) {
      this.#chunks.push(chunk.subarray(start));
      this.#buffered += chunk.length - start;
      if (this.#buffered > this.#maxFrameBytes) throw this.#tooLong();
    }
    return frames;
  }

  #pushPrefixed(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < lengthPrefix) break;
        const length = this.#take(lengthPrefix).readUInt32BE(0);
        if (length > this.#maxFrameBytes) throw new FramingError(`a frame of ${length} bytes (from its length prefix) exceeds the limit of ${this.#maxFrameBytes}`);
        this.#expected = length;
      }
      if (this.#buffered < this.#expected) break;
      frames.push(this.#take(this.#expected));
      this.#expected = -1;
    }
    return frames;
  }

  /** The first `count` buffered bytes, copied only when they span chunks. */
  #take(count: number): Buffer {
    const head = this.#chunks[0];
    let taken: Buffer;
    if (head !== undefined && head.length >= count) {
      taken = head.subarray(0, count);
      if (head.length === count) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(count);
    } else {
      const all = Buffer.concat(this.#chunks, this.#buffered);
      taken = all.subarray(0, count);
      this.#chunks = all.length > count ? [all.subarray(count)] : [];
    }
    this.#buffered -= count;
    return taken;
  }

  #tooLong(): FramingError {
    return new FramingError(`a line longer than the frame limit of ${this.#maxFrameBytes} bytes`);
  }
}

/** One frame ready for the stream, in one buffer (one write): newline-terminated, or behind its 4-byte big-endian length. */
export function frameOnStream(framing: Framing, payload: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(payload.byteLength + (framing === "length-prefixed" ? lengthPrefix : 1));
  if (framing === "length-prefixed") {
    framed.writeUInt32BE(payload.byteLength, 0);
    framed.set(payload, lengthPrefix);
  } else {
    framed.set(payload, 0);
    framed[payload.byteLength] = NEWLINE;
  }
  return framed;
}

/** NDJSON frames are JSON by definition: an XML or protobuf frame may hold a newline. Undefined when the pair works. */
export function ndjsonFormatProblem(framing: string, codec: string): string | undefined {
  return framing === "ndjson" && codec !== "json" ? `framing "ndjson" carries JSON frames only; use framing: length-prefixed for codec "${codec}"` : undefined;
}
