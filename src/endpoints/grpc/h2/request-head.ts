import type { OutgoingHttpHeaders } from "node:http2";
import type { Metadata } from "@grpc/grpc-js";
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
  readonly #metadata: OutgoingHttpHeaders;

  constructor(fixed: Buffer, metadata: Metadata, remaining: number) {
    this.#fixed = fixed;
    this.#timeout = timeoutHeader(remaining);
    const headers = metadata.toHttp2Headers();
    this.#metadata = headers;
    let size = fixed.byteLength + literalSize("grpc-timeout", this.#timeout);
    for (const name in headers) {
      const value = headers[name];
      if (Array.isArray(value)) for (const item of value) size += literalSize(name, item);
      else if (value !== undefined) size += literalSize(name, String(value));
    }
    this.size = size;
  }

  write(target: Buffer, offset: number): number {
    offset += this.#fixed.copy(target, offset);
    offset = writeLiteral(target, offset, "grpc-timeout", this.#timeout);
    const headers = this.#metadata;
    for (const name in headers) {
      const value = headers[name];
      if (Array.isArray(value)) for (const item of value) offset = writeLiteral(target, offset, name, item);
      else if (value !== undefined) offset = writeLiteral(target, offset, name, String(value));
    }
    return offset;
  }
}
