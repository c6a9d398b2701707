import type { CallMetadata } from "../grpc-metadata.js";
import type { Cancellation } from "../../../core/cancellation.js";
import { StatusCode } from "../../../core/status-code.js";
import type { StatusToError, StreamResult } from "../grpc-calls.js";
import { ErrorCode, errorName } from "./frames.js";
import type { H2Connection } from "./h2-connection.js";
import { H2Stream } from "./h2-stream.js";
import { RequestHead } from "./request-head.js";
import { decodeGrpcMessage, headFailure, malformed, trailerCode } from "./reply-status.js";
import { field, responseMetadata } from "./response-metadata.js";

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A server-streaming call (one request, many replies) on the HTTP/2 client,
 * read as an async iterator straight from the frames. Its stream window is
 * acknowledged as the reader takes messages, so a slow caller slows the
 * upstream instead of filling memory. The promise settles at the first
 * message or the end, like the grpc-js path: an upstream that fails at once
 * is an error status, not a 200 stream that only carries an error.
 */
export class ServerStreamCall extends H2Stream implements AsyncIterableIterator<Buffer> {
  readonly message: Buffer;
  readonly headerBlockSize: number;
  override readonly acknowledgesOnRead = true;
  connection: H2Connection | undefined = undefined;
  readonly #head: RequestHead;
  readonly #authority: string;
  readonly #limit: number;
  readonly #toError: StatusToError;
  readonly #resolve: (result: StreamResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #stopCancel: () => void;
  #reply: string[] | undefined = undefined;
  /** Bytes of a message still arriving. */
  #partial: Buffer | undefined = undefined;
  readonly #queue: Buffer[] = [];
  #waiting: { resolve(result: IteratorResult<Buffer>): void; reject(error: unknown): void } | undefined = undefined;
  #started = false;
  /** Set when the stream is over: cleanly (`#failure` undefined) or not. */
  #over = false;
  #failure: unknown = undefined;

  constructor(
    fixedBlock: Buffer,
    authority: string,
    limit: number,
    message: Buffer,
    metadata: CallMetadata,
    remaining: number,
    cancellation: Cancellation,
    toError: StatusToError,
    resolve: (result: StreamResult) => void,
    reject: (error: unknown) => void,
  ) {
    super();
    this.message = message;
    this.#authority = authority;
    this.#limit = limit;
    this.#toError = toError;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#head = new RequestHead(fixedBlock, metadata, remaining);
    this.headerBlockSize = this.#head.size;
    this.#timer = setTimeout(() => this.#fail(StatusCode.DEADLINE_EXCEEDED, "Deadline exceeded"), remaining);
    this.#stopCancel = cancellation.onCancel((reason) => this.#end(reason));
  }

  writeHeaderBlock(target: Buffer, offset: number): number {
    return this.#head.write(target, offset);
  }

  headers(fields: string[], endStream: boolean): void {
    if (this.#over) return;
    if (this.#reply !== undefined) {
      if (!endStream) {
        this.#malformed("a second header block before the end of the reply");
        return;
      }
      this.#trailers(fields);
      return;
    }
    this.#reply = fields;
    if (field(fields, "grpc-status") !== undefined) {
      this.#trailers(fields);
      return;
    }
    const failure = headFailure(fields);
    if (failure !== undefined) {
      this.#end(this.#toError(failure));
      return;
    }
    if (endStream) this.#malformed("the call ended without a grpc-status");
  }

  data(payload: Buffer, endStream: boolean): void {
    if (this.#over) return;
    if (this.#reply === undefined) {
      this.#malformed("DATA before the response head");
      return;
    }
    let bytes = this.#partial === undefined ? payload : Buffer.concat([this.#partial, payload]);
    this.#partial = undefined;
    while (bytes.byteLength >= 5) {
      if (bytes[0] === 1) {
        this.#malformed("a compressed message, which was not negotiated");
        return;
      }
      if (bytes[0] !== 0) {
        this.#malformed(`a frame whose compressed flag is ${bytes[0]} (0 or 1 allowed)`);
        return;
      }
      const length = bytes.readUInt32BE(1);
      if (length > this.#limit) {
        this.#malformed(`a reply message of ${length} bytes is over maxReceiveMessageSize (${this.#limit} bytes)`);
        return;
      }
      if (bytes.byteLength < 5 + length) break;
      this.#push(bytes.subarray(5, 5 + length));
      bytes = bytes.subarray(5 + length);
    }
    if (bytes.byteLength > 0) this.#partial = bytes;
    if (endStream) this.#malformed("the call ended without a grpc-status");
  }

  reset(code: number): void {
    if (this.#over) return;
    if (code === ErrorCode.NO_ERROR && this.#reply !== undefined) {
      this.#malformed("the call ended without a grpc-status");
      return;
    }
    this.#fail(StatusCode.UNAVAILABLE, `the upstream reset the call (RST_STREAM ${errorName(code)})`, true);
  }

  lost(reason: string, established: boolean): void {
    if (this.#over) return;
    const details = !established ? `No connection established to ${this.#authority}: ${reason}` : `the connection was lost before the call ended: ${reason}`;
    this.#fail(StatusCode.UNAVAILABLE, details, true);
  }

  #trailers(fields: string[]): void {
    const code = trailerCode(fields);
    if (typeof code !== "number") {
      this.#end(this.#toError(code));
      return;
    }
    if (code !== StatusCode.OK) {
      // As on unary calls: header metadata from a head of its own (not a trailers-only reply) goes with the error.
      const reply = this.#reply;
      const headers = reply === undefined || field(reply, "grpc-status") !== undefined ? undefined : responseMetadata(reply);
      if (this.#over) return;
      this.#end(this.#toError({ code, details: decodeGrpcMessage(field(fields, "grpc-message")), transport: false, metadata: responseMetadata(fields), headers }));
      return;
    }
    if (this.#partial !== undefined) {
      this.#malformed("the reply ends inside a message");
      return;
    }
    this.#end(undefined);
  }

  #push(message: Buffer): void {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      this.connection?.acknowledge(this, 5 + message.byteLength);
      waiting.resolve({ done: false, value: message });
    } else this.#queue.push(message);
    this.#start();
  }

  /** The first message (or the end) is in: the caller gets the stream. */
  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const reply = this.#reply;
    const trailersOnly = reply === undefined || field(reply, "grpc-status") !== undefined;
    this.#resolve({ headers: trailersOnly ? undefined : responseMetadata(reply), messages: this, cancel: () => this.cancel() });
  }

  #fail(code: StatusCode, details: string, transport = false): void {
    if (this.#over) return;
    this.#end(this.#toError({ code, details, transport }));
  }

  #malformed(problem: string): void {
    if (this.#over) return;
    this.#end(this.#toError(malformed(problem)));
  }

  /** The stream is over: cleanly (`failure` undefined) or with an error the reader gets after the messages already in. */
  #end(failure: unknown): void {
    if (this.#over) return;
    this.#over = true;
    this.#failure = failure;
    clearTimeout(this.#timer);
    this.#stopCancel();
    this.connection?.cancel(this, ErrorCode.CANCEL);
    if (!this.#started && failure !== undefined) {
      this.#started = true;
      this.#reject(failure);
      return;
    }
    this.#start();
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    if (failure === undefined) waiting.resolve(DONE);
    else {
      this.#failure = undefined;
      waiting.reject(failure);
    }
  }

  /** The caller stops reading: RST_STREAM CANCEL, and the iteration ends. */
  cancel(): void {
    this.#queue.length = 0;
    this.#end(undefined);
  }

  next(): Promise<IteratorResult<Buffer>> {
    const message = this.#queue.shift();
    if (message !== undefined) {
      this.connection?.acknowledge(this, 5 + message.byteLength);
      return Promise.resolve({ done: false, value: message });
    }
    if (this.#over) {
      const failure = this.#failure;
      if (failure === undefined) return Promise.resolve(DONE);
      this.#failure = undefined;
      return Promise.reject(failure);
    }
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.cancel();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this;
  }
}
