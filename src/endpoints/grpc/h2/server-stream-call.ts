import type { CallMetadata } from "../grpc-metadata.js";
import type { Cancellation } from "../../../core/cancellation.js";
import { StatusCode } from "../../../core/status-code.js";
import type { StatusToError, StreamResult } from "../grpc-calls.js";
import { GrpcCall } from "./grpc-call.js";

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A server-streaming call (one request, many replies) on the HTTP/2 client,
 * read as an async iterator straight from the frames. Its stream window is
 * acknowledged as the reader takes messages, so a slow caller slows the
 * upstream instead of filling memory. The promise settles at the first
 * message or the end, like the grpc-js path: an upstream that fails at once
 * is an error status, not a 200 stream that only carries an error.
 */
export class ServerStreamCall extends GrpcCall implements AsyncIterableIterator<Buffer> {
  override readonly acknowledgesOnRead = true;
  readonly #resolve: (result: StreamResult) => void;
  readonly #reject: (error: unknown) => void;
  /** Bytes of a message still arriving. */
  #partial: Buffer | undefined = undefined;
  readonly #queue: Buffer[] = [];
  #waiting: { resolve(result: IteratorResult<Buffer>): void; reject(error: unknown): void } | undefined = undefined;
  #started = false;
  /** Why the stream ended, until the reader is told (undefined: cleanly). */
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
    super(fixedBlock, authority, limit, message, metadata, remaining, toError);
    this.#resolve = resolve;
    this.#reject = reject;
    this.watch(cancellation);
  }

  data(payload: Buffer, endStream: boolean): void {
    if (this.ended) return;
    if (this.reply === undefined) {
      this.malformed("DATA before the response head");
      return;
    }
    let bytes = this.#partial === undefined ? payload : Buffer.concat([this.#partial, payload]);
    this.#partial = undefined;
    while (bytes.byteLength >= 5) {
      if (bytes[0] === 1) {
        this.malformed("a compressed message, which was not negotiated");
        return;
      }
      if (bytes[0] !== 0) {
        this.malformed(`a frame whose compressed flag is ${bytes[0]} (0 or 1 allowed)`);
        return;
      }
      const length = bytes.readUInt32BE(1);
      if (length > this.limit) {
        this.malformed(`a reply message of ${length} bytes is over maxReceiveMessageSize (${this.limit} bytes)`);
        return;
      }
      if (bytes.byteLength < 5 + length) break;
      this.#push(bytes.subarray(5, 5 + length));
      bytes = bytes.subarray(5 + length);
    }
    if (bytes.byteLength > 0) this.#partial = bytes;
    if (endStream) this.malformed("the call ended without a grpc-status");
  }

  lost(reason: string, established: boolean): void {
    if (this.ended) return;
    const details = !established ? `No connection established to ${this.authority}: ${reason}` : `the connection was lost before the call ended: ${reason}`;
    this.fail(StatusCode.UNAVAILABLE, details, true);
  }

  protected succeed(): void {
    if (this.#partial !== undefined) {
      this.malformed("the reply ends inside a message");
      return;
    }
    this.end(undefined);
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
    this.#resolve({ headers: this.headerMetadata(), messages: this, cancel: () => this.cancel() });
  }

  /** The stream is over: cleanly (`failure` undefined) or with an error the reader gets after the messages already in. */
  protected end(failure: unknown): void {
    if (this.ended) return;
    this.release();
    this.#failure = failure;
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
    this.end(undefined);
  }

  next(): Promise<IteratorResult<Buffer>> {
    const message = this.#queue.shift();
    if (message !== undefined) {
      this.connection?.acknowledge(this, 5 + message.byteLength);
      return Promise.resolve({ done: false, value: message });
    }
    if (this.ended) {
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
