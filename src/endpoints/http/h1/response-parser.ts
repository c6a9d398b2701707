import type { HeaderMap } from "../../../core/envelope.js";
import { framingError, H1Code, H1Error, protocolError } from "./h1-error.js";

/** What the parser tells the exchange it parses for. */
export interface ResponseHandler {
  /** The final (status ≥ 200) head; `hasBody` is false when the reply ends with it. */
  onHead(status: number, headers: HeaderMap, hasBody: boolean): void;
  onBody(chunk: Buffer): void;
  /** The reply is complete; trailers of a chunked body (empty otherwise). */
  onComplete(trailers: HeaderMap): void;
}

enum State {
  HEAD,
  LENGTH,
  CHUNK_SIZE,
  CHUNK_DATA,
  CHUNK_END,
  TRAILERS,
  UNTIL_CLOSE,
  DONE,
}

/** Like Node's and undici's default: a head larger than this is refused. */
const MAX_HEAD_BYTES = 16 * 1024;
const CRLF = 0x0a0d;
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const BARE_LF_END = Buffer.from("\n\n", "latin1");
const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB (RFC 9110 §5.5). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const badValueChar = /[\x00-\x08\x0a-\x1f\x7f]/;
const hexSize = /^[0-9A-Fa-f]{1,15}(?:[ \t]*;[^\r\n]*)?$/;
const noHeaders: HeaderMap = Object.freeze({});

/**
 * An incremental HTTP/1.1 response parser (RFC 9112) for one connection,
 * reset per exchange: the status line, headers with duplicates kept as lists,
 * then a body framed by Content-Length, chunked coding (with trailers) or the
 * connection's close. 1xx heads are skipped; HEAD, 204 and 304 have no body.
 * Malformed input is returned as an error value, never thrown.
 */
export class ResponseParser {
  #handler: ResponseHandler | undefined;
  #headOnly = false;
  #state = State.DONE;
  #pending: Buffer | undefined;
  #remaining = 0;
  #trailers: HeaderMap | undefined;
  /** False when the reply asks to close the connection (or is framed by the close). */
  keepAlive = true;
  /** Bytes of the reply seen so far (zero means the upstream has said nothing yet). */
  received = 0;

  get done(): boolean {
    return this.#state === State.DONE;
  }

  /** True while the body runs until the connection closes. */
  get untilClose(): boolean {
    return this.#state === State.UNTIL_CLOSE;
  }

  start(handler: ResponseHandler, headOnly: boolean): void {
    this.#handler = handler;
    this.#headOnly = headOnly;
    this.#state = State.HEAD;
    this.#pending = undefined;
    this.#trailers = undefined;
    this.keepAlive = true;
    this.received = 0;
  }

  /** Feeds bytes; returns the count left over after a complete reply, or an error. */
  execute(chunk: Buffer): number | H1Error {
    this.received += chunk.byteLength;
    let data = chunk;
    if (this.#pending !== undefined) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let offset = 0;
    const handler = this.#handler;
    if (handler === undefined) return data.byteLength;
    while (offset < data.byteLength) {
      switch (this.#state) {
        case State.HEAD: {
          const end = data.indexOf(HEAD_END, offset);
          if (end < 0) {
            if (data.byteLength - offset > MAX_HEAD_BYTES) return new H1Error(H1Code.MALFORMED, "its headers are too large");
            // A head ended by bare LFs would never be seen to end: refuse it now rather than wait for the deadline.
            if (data.indexOf(BARE_LF_END, offset) >= 0) return protocolError("the head's lines end in LF without CR");
            this.#pending = data.subarray(offset);
            return 0;
          }
          if (end - offset > MAX_HEAD_BYTES) return new H1Error(H1Code.MALFORMED, "its headers are too large");
          const error = this.#head(data.toString("latin1", offset, end), handler);
          if (error !== undefined) return error;
          offset = end + 4;
          break;
        }
        case State.LENGTH: {
          const available = data.byteLength - offset;
          if (available < this.#remaining) {
            this.#remaining -= available;
            handler.onBody(offset === 0 ? data : data.subarray(offset));
            return 0;
          }
          const end = offset + this.#remaining;
          handler.onBody(data.subarray(offset, end));
          offset = end;
          this.#complete(handler, noHeaders);
          break;
        }
        case State.CHUNK_SIZE: {
          const end = lineEnd(data, offset);
          if (end < 0) {
            if (data.byteLength - offset > 1024) return framingError("a chunk size line is too long");
            this.#pending = data.subarray(offset);
            return 0;
          }
          const line = data.toString("latin1", offset, end);
          if (!hexSize.test(line)) return framingError(`invalid chunk size "${line.slice(0, 20)}"`);
          const semicolon = line.indexOf(";");
          const size = Number.parseInt(semicolon < 0 ? line : line.slice(0, semicolon), 16);
          offset = end + 2;
          if (size === 0) {
            this.#state = State.TRAILERS;
          } else {
            this.#remaining = size;
            this.#state = State.CHUNK_DATA;
          }
          break;
        }
        case State.CHUNK_DATA: {
          const available = data.byteLength - offset;
          if (available <= this.#remaining) {
            this.#remaining -= available;
            handler.onBody(offset === 0 ? data : data.subarray(offset));
            if (this.#remaining === 0) this.#state = State.CHUNK_END;
            return 0;
          }
          const end = offset + this.#remaining;
          handler.onBody(data.subarray(offset, end));
          offset = end;
          this.#state = State.CHUNK_END;
          break;
        }
        case State.CHUNK_END: {
          if (data.byteLength - offset < 2) {
            this.#pending = data.subarray(offset);
            return 0;
          }
          if (data.readUInt16LE(offset) !== CRLF) return framingError("a chunk does not end with CRLF");
          offset += 2;
          this.#state = State.CHUNK_SIZE;
          break;
        }
        case State.TRAILERS: {
          const end = lineEnd(data, offset);
          if (end < 0) {
            if (data.byteLength - offset > MAX_HEAD_BYTES) return new H1Error(H1Code.MALFORMED, "its trailers are too large");
            this.#pending = data.subarray(offset);
            return 0;
          }
          if (end === offset) {
            offset += 2;
            this.#complete(handler, this.#trailers ?? noHeaders);
            break;
          }
          const trailers = (this.#trailers ??= {});
          const error = addField(trailers, data.toString("latin1", offset, end));
          if (error !== undefined) return error;
          offset = end + 2;
          break;
        }
        case State.UNTIL_CLOSE:
          handler.onBody(offset === 0 ? data : data.subarray(offset));
          return 0;
        case State.DONE:
          return data.byteLength - offset;
      }
    }
    return 0;
  }

  /** The connection ended: completes a reply read until the close, or returns why it is cut short. */
  finish(): H1Error | undefined {
    if (this.#state === State.UNTIL_CLOSE) {
      const handler = this.#handler;
      if (handler !== undefined) this.#complete(handler, noHeaders);
      return undefined;
    }
    if (this.#state === State.DONE) return undefined;
    return new H1Error(H1Code.CLOSED, this.received === 0 ? "the upstream closed the connection before answering" : "the upstream closed the connection before the reply was complete");
  }

  #complete(handler: ResponseHandler, trailers: HeaderMap): void {
    this.#state = State.DONE;
    this.#handler = undefined;
    handler.onComplete(trailers);
  }

  #head(head: string, handler: ResponseHandler): H1Error | undefined {
    const firstEnd = head.indexOf("\r\n");
    const first = firstEnd < 0 ? head : head.slice(0, firstEnd);
    const match = statusLine.exec(first);
    if (match === null) return protocolError(first.startsWith("HTTP/1.") ? "Invalid status code" : "Expected HTTP/1.x status line");
    const status = Number(match[2]);
    if (status < 100) return protocolError("Invalid status code");
    const headers: HeaderMap = {};
    let start = firstEnd + 2;
    while (firstEnd >= 0 && start < head.length) {
      let end = head.indexOf("\r\n", start);
      if (end < 0) end = head.length;
      const error = addField(headers, head.slice(start, end));
      if (error !== undefined) return error;
      start = end + 2;
    }
    if (status < 200) {
      // 101 would switch protocols, which no request of ours asks for.
      if (status === 101) return protocolError("Unexpected 101 Switching Protocols");
      return undefined;
    }
    const connection = headers.connection;
    if (match[1] === "0") this.keepAlive = typeof connection === "string" && connection.toLowerCase() === "keep-alive";
    else if (connection !== undefined) this.keepAlive = !hasToken(connection, "close");
    const framing = this.#framing(status, headers);
    if (framing instanceof H1Error) return framing;
    handler.onHead(status, headers, framing !== State.DONE);
    if (framing === State.DONE) this.#complete(handler, noHeaders);
    else this.#state = framing;
    return undefined;
  }

  /** How the body is delimited (RFC 9112 §6.3), refusing ambiguous framing. */
  #framing(status: number, headers: HeaderMap): State | H1Error {
    const encoding = headers["transfer-encoding"];
    const length = headers["content-length"];
    if (this.#headOnly || status === 204 || status === 304) return State.DONE;
    if (encoding !== undefined) {
      if (length !== undefined) return framingError("Content-Length combined with Transfer-Encoding");
      const codings = (typeof encoding === "string" ? encoding : encoding.join(",")).toLowerCase();
      if (codings.trimEnd().endsWith("chunked")) return State.CHUNK_SIZE;
      this.keepAlive = false;
      return State.UNTIL_CLOSE;
    }
    if (length !== undefined) {
      const value = typeof length === "string" ? length : length.join(",");
      let bytes = -1;
      for (const part of value.split(",")) {
        const text = part.trim();
        if (!/^\d{1,15}$/.test(text)) return framingError(`Content-Length "${value.slice(0, 30)}"`);
        const parsed = Number(text);
        if (bytes >= 0 && parsed !== bytes) return framingError("Content-Length repeated with different values");
        bytes = parsed;
      }
      if (bytes === 0) return State.DONE;
      this.#remaining = bytes;
      return State.LENGTH;
    }
    this.keepAlive = false;
    return State.UNTIL_CLOSE;
  }
}

/** Adds one `name: value` line; duplicates become lists (as Node's and undici's header objects). */
function addField(headers: HeaderMap, line: string): H1Error | undefined {
  const colon = line.indexOf(":");
  if (colon <= 0) return protocolError(colon === 0 ? "Invalid header token" : "Missing header colon");
  const rawName = line.slice(0, colon);
  if (!tokenPattern.test(rawName)) return protocolError("Invalid header token");
  const value = line.slice(colon + 1).trim();
  if (badValueChar.test(value)) return protocolError("Invalid header value char");
  const name = rawName.toLowerCase();
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (typeof existing === "string") headers[name] = [existing, value];
  else existing.push(value);
  return undefined;
}

function hasToken(value: string | string[], token: string): boolean {
  const text = typeof value === "string" ? value : value.join(",");
  for (const part of text.split(",")) if (part.trim().toLowerCase() === token) return true;
  return false;
}

function lineEnd(data: Buffer, offset: number): number {
  return data.indexOf("\r\n", offset, "latin1");
}
