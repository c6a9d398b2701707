import type { CallMetadata } from "../grpc-metadata.js";
import { literalSize, writeLiteral } from "./hpack-encoder.js";

/** `grpc-timeout` for a deadline: whole milliseconds, at most 8 digits. */
function timeoutHeader(milliseconds: number): string {
  const value = Math.max(1, Math.ceil(milliseconds));
  return value < 100_000_000 ? `${value}m` : `${Math.ceil(value / 1000)}S`;
}

/**
 * A call's header block: the method's precomputed fields, then the only
 * per-call ones, grpc-timeout and the metadata, as raw literals. Its size
 * is known before it is written, so the connection writes it straight into
 * the buffer that carries the frames.
 */
export class RequestHead {
  readonly size: number;
  readonly #fixed: Buffer;
  readonly #timeout: string;
  /** Text values as they are, `-bin` values in base64 (as grpc-js writes them). */
  readonly #fields: Array<readonly [name: string, value: string]>;

  constructor(fixed: Buffer, metadata: CallMetadata, remaining: number) {
    this.#fixed = fixed;
    this.#timeout = timeoutHeader(remaining);
    let size = fixed.byteLength + literalSize("grpc-timeout", this.#timeout);
    const fields: Array<readonly [string, string]> = [];
    for (const [name, value] of metadata.pairs) {
      const text = typeof value === "string" ? value : value.toString("base64");
      fields.push([name, text]);
      size += literalSize(name, text);
    }
    this.#fields = fields;
    this.size = size;
  }

  write(target: Buffer, offset: number): number {
    offset += this.#fixed.copy(target, offset);
    offset = writeLiteral(target, offset, "grpc-timeout", this.#timeout);
    for (const [name, value] of this.#fields) offset = writeLiteral(target, offset, name, value);
    return offset;
  }
}
