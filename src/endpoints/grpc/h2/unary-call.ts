import type { CallMetadata } from "../grpc-metadata.js";
import type { Cancellation } from "../../../core/cancellation.js";
import { StatusCode } from "../../../core/status-code.js";
import type { StatusToError, UnaryResult } from "../grpc-calls.js";
import { GrpcCall } from "./grpc-call.js";
import { parseSingleMessage } from "./reply-status.js";
import { responseMetadata } from "./response-metadata.js";

/**
 * One unary call on the HTTP/2 client: it is its own stream (the connection
 * writes its header block and message, and hands it frames as they come),
 * its deadline timer and its promise. The reply is read straight from the
 * frames: the head, the one length-prefixed message, the trailers.
 */
export class UnaryCall extends GrpcCall {
  readonly #resolve: (result: UnaryResult) => void;
  readonly #reject: (error: unknown) => void;
  #body: Buffer | undefined = undefined;
  #bodyParts: Buffer[] | undefined = undefined;
  #received = 0;

  constructor(
    fixedBlock: Buffer,
    authority: string,
    limit: number,
    message: Buffer,
    metadata: CallMetadata,
    remaining: number,
    cancellation: Cancellation,
    toError: StatusToError,
    resolve: (result: UnaryResult) => void,
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
    if (payload.byteLength > 0) {
      // Usually the whole message is one frame: kept as a view, joined only when it came in pieces.
      if (this.#body === undefined) this.#body = payload;
      else (this.#bodyParts ??= [this.#body]).push(payload);
      this.#received += payload.byteLength;
      // The length prefix says how big the message is: refuse it before buffering it all.
      if (this.#received >= 5) {
        const head = this.#body.byteLength >= 5 ? this.#body : Buffer.concat(this.#bodyParts ?? [this.#body]);
        const length = head.readUInt32BE(1);
        const limit = this.limit;
        if (length > limit) {
          this.malformed(`a reply message of ${length} bytes is over maxReceiveMessageSize (${limit} bytes)`);
          return;
        }
        if (this.#received > limit + 5) {
          this.malformed(`the reply is more than one message, over maxReceiveMessageSize (${limit} bytes)`);
          return;
        }
      }
    }
    if (endStream) this.malformed("the call ended without a grpc-status");
  }

  lost(reason: string, established: boolean): void {
    if (this.ended) return;
    const details = !established
      ? `No connection established to ${this.authority}: ${reason}`
      : this.reply === undefined
        ? `the connection was lost before the upstream answered: ${reason}`
        : `the connection was lost before the call ended: ${reason}`;
    this.fail(StatusCode.UNAVAILABLE, details, true);
  }

  protected succeed(trailers: string[]): void {
    const parts = this.#bodyParts;
    const parsed = parseSingleMessage(parts === undefined ? this.#body : Buffer.concat(parts, this.#received));
    if (typeof parsed === "string") {
      this.malformed(parsed);
      return;
    }
    this.#finish({ message: parsed, headers: this.headerMetadata(), trailers: responseMetadata(trailers) }, undefined);
  }

  protected end(failure: unknown): void {
    this.#finish(undefined, failure);
  }

  /** Settles once; a call that ends before its stream does resets the stream (CANCEL). */
  #finish(result: UnaryResult | undefined, error: unknown): void {
    if (this.ended) return;
    this.release();
    this.#body = undefined;
    this.#bodyParts = undefined;
    if (result !== undefined) this.#resolve(result);
    else this.#reject(error);
  }
}
