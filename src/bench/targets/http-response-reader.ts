/**
 * A minimal HTTP/1.1 response reader for the load generator: the status
 * line, Content-Length, chunked bodies, Connection: close, and bodies that
 * end with the connection. It never keeps a body, only counts its bytes, and
 * parses nothing else: that is what lets one core drive more than a full
 * parser would. Responses come in the order the requests were written.
 */
export type ResponseEnd = (status: number, bytes: number, closes: boolean) => void;

enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  Trailer,
  UntilClose,
}

export class HttpResponseReader {
  #state = State.Head;
  #carry: Buffer | undefined;
  #remaining = 0;
  #bytes = 0;
  #status = 0;
  #closes = false;
  /** Set by the owner before each response whose request was HEAD (no body follows). */
  headRequest = false;
  readonly #end: ResponseEnd;

  constructor(end: ResponseEnd) {
    this.#end = end;
  }

  /** Forgets a half-read response (the connection it came on is gone). */
  reset(): void {
    this.#state = State.Head;
    this.#carry = undefined;
    this.#bytes = 0;
  }

  /** A connection that ended while a body ran until close: that response is complete. */
  endOfStream(): boolean {
    if (this.#state !== State.UntilClose) return false;
    this.#finish();
    return true;
  }

  /** Returns a message when the bytes are not an HTTP/1.1 response. */
  feed(chunk: Buffer): string | undefined {
    let data = chunk;
    if (this.#carry !== undefined) {
      data = Buffer.concat([this.#carry, chunk]);
      this.#carry = undefined;
    }
    let at = 0;
    const length = data.length;
    while (at < length) {
      switch (this.#state) {
        case State.Head: {
          const end = data.indexOf("\r\n\r\n", at, "latin1");
          if (end === -1) return this.#keep(data, at, 64 * 1024, "a response head over 64 KiB");
          const problem = this.#head(data.toString("latin1", at, end));
          if (problem !== undefined) return problem;
          this.#bytes += end + 4 - at;
          at = end + 4;
          break;
        }
        case State.Body:
        case State.ChunkData: {
          const take = Math.min(this.#remaining, length - at);
          this.#remaining -= take;
          this.#bytes += take;
          at += take;
          if (this.#remaining === 0) {
            if (this.#state === State.Body) this.#finish();
            else this.#state = State.ChunkSize;
          }
          break;
        }
        case State.ChunkSize: {
          const end = lineEnd(data, at);
          if (end === -1) return this.#keep(data, at, 1024, "a chunk-size line over 1 KiB");
          const size = parseInt(data.toString("latin1", at, end), 16);
          if (!Number.isFinite(size) || size < 0) return "a chunk size that is not hexadecimal";
          this.#bytes += end + 2 - at;
          at = end + 2;
          if (size === 0) this.#state = State.Trailer;
          else {
            this.#state = State.ChunkData;
            this.#remaining = size + 2;
          }
          break;
        }
        case State.Trailer: {
          const end = lineEnd(data, at);
          if (end === -1) return this.#keep(data, at, 64 * 1024, "trailers over 64 KiB");
          const empty = end === at;
          this.#bytes += end + 2 - at;
          at = end + 2;
          if (empty) this.#finish();
          break;
        }
        case State.UntilClose:
          this.#bytes += length - at;
          at = length;
          break;
      }
    }
    return undefined;
  }

  #keep(data: Buffer, at: number, limit: number, what: string): string | undefined {
    if (data.length - at > limit) return what;
    this.#carry = Buffer.from(data.subarray(at));
    return undefined;
  }

  #head(head: string): string | undefined {
    if (!head.startsWith("HTTP/1.")) return "not an HTTP/1.x response";
    const status = (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48);
    if (!(status >= 100 && status <= 999)) return "a status line without a status code";
    let contentLength = -1;
    let chunked = false;
    let closes = head.charCodeAt(7) === 48; // HTTP/1.0 closes unless told otherwise; good enough here
    let line = head.indexOf("\r\n") + 2;
    while (line > 1 && line < head.length) {
      let end = head.indexOf("\r\n", line);
      if (end === -1) end = head.length;
      const colon = head.indexOf(":", line);
      if (colon > line && colon < end) {
        const nameLength = colon - line;
        if (nameLength === 14 || nameLength === 17 || nameLength === 10) {
          const name = head.slice(line, colon).toLowerCase();
          const value = head
            .slice(colon + 1, end)
            .trim()
            .toLowerCase();
          if (name === "content-length") contentLength = Number(value);
          else if (name === "transfer-encoding") chunked = value.endsWith("chunked");
          else if (name === "connection") closes = value === "close";
        }
      }
      line = end + 2;
    }
    // 1xx are interim: the real response follows.
    if (status < 200) return undefined;
    this.#status = status;
    this.#closes = closes;
    if (this.headRequest || status === 204 || status === 304) this.#finish();
    else if (chunked) this.#state = State.ChunkSize;
    else if (contentLength >= 0) {
      if (!Number.isSafeInteger(contentLength)) return "a Content-Length that is not a number";
      this.#remaining = contentLength;
      this.#state = State.Body;
      if (contentLength === 0) this.#finish();
    } else {
      this.#state = State.UntilClose;
      this.#closes = true;
    }
    return undefined;
  }

  #finish(): void {
    const bytes = this.#bytes;
    this.#state = State.Head;
    this.#bytes = 0;
    this.#end(this.#status, bytes, this.#closes);
  }
}

function lineEnd(data: Buffer, from: number): number {
  return data.indexOf("\r\n", from, "latin1");
}
