import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";

/** One top-level JSON value's bytes, with where it starts in the body (1-based), for errors. */
export interface JsonValueSlice {
  readonly bytes: Buffer;
  /** 1-based position among the body's values. */
  readonly index: number;
  readonly line: number;
  readonly column: number;
}

const openers = new Set([0x7b, 0x5b]); // { [
const closers = new Set([0x7d, 0x5d]); // } ]
/** Bytes that end a bare scalar (number, true, false, null). */
const scalarEnds = new Set([0x20, 0x09, 0x0d, 0x0a, 0x7b, 0x5b, 0x7d, 0x5d, 0x22, 0x2c]);

/**
 * Cuts a byte stream of JSON values into one slice per top-level value:
 * values back to back (`{"a":1}{"a":2}`, what a json.Decoder reads, as
 * grpc-gateway does) or separated by whitespace and newlines (NDJSON). It
 * only tracks strings and nesting; each slice is then parsed by the JSON
 * codec, with its limits and exact numbers. Bytes are scanned once, as they
 * arrive.
 */
export class JsonValueSplitter {
  readonly #maxValueBytes: number;
  #pending = Buffer.alloc(0);
  /** Next byte of #pending to scan. */
  #scan = 0;
  /** Start of the value being read in #pending, -1 between values. */
  #start = -1;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #scalar = false;
  #count = 0;
  /** Line and column of the next byte to scan, and of the current value's start. */
  #line = 1;
  #column = 1;
  #startLine = 1;
  #startColumn = 1;

  constructor(maxValueBytes: number) {
    this.#maxValueBytes = maxValueBytes;
  }

  /** The values completed by this chunk; throws a 400 for a stray closing bracket, a 413 for a value over the limit. */
  push(chunk: Uint8Array): JsonValueSlice[] {
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const found: JsonValueSlice[] = [];
    const bytes = this.#pending;
    for (; this.#scan < bytes.length; this.#scan++) {
      const byte = bytes[this.#scan]!;
      if (this.#start < 0) this.#between(byte);
      else if (this.#scalar) {
        if (scalarEnds.has(byte)) {
          found.push(this.#cut(this.#scan));
          this.#between(byte);
        }
      } else if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === 0x5c) this.#escaped = true;
        else if (byte === 0x22) {
          this.#inString = false;
          if (this.#depth === 0) found.push(this.#cut(this.#scan + 1));
        }
      } else if (byte === 0x22) this.#inString = true;
      else if (openers.has(byte)) this.#depth++;
      else if (closers.has(byte) && --this.#depth === 0) found.push(this.#cut(this.#scan + 1));
      if (byte === 0x0a) {
        this.#line++;
        this.#column = 1;
      } else this.#column++;
    }
    this.#compact();
    if (this.#start >= 0 && this.#scan - this.#start > this.#maxValueBytes) {
      throw new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `JSON value ${this.#count + 1} of the request stream ${this.#where()} exceeds ${this.#maxValueBytes} bytes`, { httpStatus: 413 });
    }
    return found;
  }

  /** The last value, when the body ends with a bare scalar; throws a 400 when it ends inside a value. */
  end(): JsonValueSlice[] {
    if (this.#start < 0) return [];
    if (this.#scalar) return [this.#cut(this.#scan)];
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, `the request stream ends inside JSON value ${this.#count + 1} ${this.#where()}`);
  }

  /** A byte between values: whitespace is skipped, anything else starts a value. */
  #between(byte: number): void {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a) return;
    if (closers.has(byte) || byte === 0x2c) {
      throw new GatewayError(StatusCode.INVALID_ARGUMENT, `unexpected '${String.fromCharCode(byte)}' between JSON values of the request stream at line ${this.#line}, column ${this.#column}`);
    }
    this.#start = this.#scan;
    this.#startLine = this.#line;
    this.#startColumn = this.#column;
    this.#scalar = !openers.has(byte) && byte !== 0x22;
    this.#inString = byte === 0x22;
    this.#depth = openers.has(byte) ? 1 : 0;
  }

  #cut(end: number): JsonValueSlice {
    const slice = { bytes: this.#pending.subarray(this.#start, end), index: ++this.#count, line: this.#startLine, column: this.#startColumn };
    this.#start = -1;
    this.#scalar = false;
    return slice;
  }

  /** Drops the bytes already cut or skipped, so a long stream does not pile up. */
  #compact(): void {
    const keep = this.#start < 0 ? this.#scan : this.#start;
    if (keep === 0) return;
    // Copied: slices handed out still point into the old buffer.
    this.#pending = Buffer.from(this.#pending.subarray(keep));
    this.#scan -= keep;
    if (this.#start >= 0) this.#start -= keep;
  }

  #where(): string {
    return `(which starts at line ${this.#startLine}, column ${this.#startColumn})`;
  }
}
