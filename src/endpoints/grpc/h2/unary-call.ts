import type { CallMetadata } from "../grpc-metadata.js";
import type { Cancellation } from "../../../core/cancellation.js";
import { StatusCode } from "../../../core/status-code.js";
import type { StatusToError, UnaryResult } from "../grpc-calls.js";
import { ErrorCode, errorName } from "./frames.js";
import { H2Stream } from "./h2-stream.js";
import type { H2Connection } from "./h2-connection.js";
import { RequestHead } from "./request-head.js";
import { decodeGrpcMessage, headFailure, malformed, trailerCode } from "./reply-status.js";
import { field, responseMetadata } from "./response-metadata.js";

/**
 * One unary call on the HTTP/2 client: it is its own stream (the connection
 * writes its header block and message, and hands it frames as they come),
 * its deadline timer and its promise. The reply is read straight from the
 * frames: the head, the one length-prefixed message, the trailers.
 */
export class UnaryCall extends H2Stream {
  readonly message: Buffer;
  readonly headerBlockSize: number;
  /** Set by the channel each time it starts the call on a connection. */
  connection: H2Connection | undefined = undefined;
  readonly #head: RequestHead;
  readonly #authority: string;
  readonly #limit: number;
  readonly #toError: StatusToError;
  readonly #resolve: (result: UnaryResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #stopCancel: () => void;
  #reply: string[] | undefined = undefined;
  #body: Buffer | undefined = undefined;
  #bodyParts: Buffer[] | undefined = undefined;
  #received = 0;
  #settled = false;

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
    this.#stopCancel = cancellation.onCancel((reason) => this.#finish(undefined, reason));
  }

  writeHeaderBlock(target: Buffer, offset: number): number {
    return this.#head.write(target, offset);
  }

  headers(fields: string[], endStream: boolean): void {
    if (this.#settled) return;
    if (this.#reply !== undefined) {
      if (!endStream) {
        this.#malformed("a second header block before the end of the reply");
        return;
      }
      this.#settle(fields, false);
      return;
    }
    this.#reply = fields;
    if (field(fields, "grpc-status") !== undefined) {
      this.#settle(fields, true);
      return;
    }
    const failure = headFailure(fields);
    if (failure !== undefined) {
      this.#finish(undefined, this.#toError(failure));
      return;
    }
    if (endStream) this.#malformed("the call ended without a grpc-status");
  }

  data(payload: Buffer, endStream: boolean): void {
    if (this.#settled) return;
    if (this.#reply === undefined) {
      this.#malformed("DATA before the response head");
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
        const limit = this.#limit;
        if (length > limit) {
          this.#malformed(`a reply message of ${length} bytes is over maxReceiveMessageSize (${limit} bytes)`);
          return;
        }
        if (this.#received > limit + 5) {
          this.#malformed(`the reply is more than one message, over maxReceiveMessageSize (${limit} bytes)`);
          return;
        }
      }
    }
    if (endStream) this.#malformed("the call ended without a grpc-status");
  }

  reset(code: number): void {
    if (this.#settled) return;
    if (code === ErrorCode.NO_ERROR && this.#reply !== undefined) {
      this.#malformed("the call ended without a grpc-status");
      return;
    }
    this.#fail(StatusCode.UNAVAILABLE, `the upstream reset the call (RST_STREAM ${errorName(code)})`, true);
  }

  lost(reason: string, established: boolean): void {
    if (this.#settled) return;
    const details = !established
      ? `No connection established to ${this.#authority}: ${reason}`
      : this.#reply === undefined
        ? `the connection was lost before the upstream answered: ${reason}`
        : `the connection was lost before the call ended: ${reason}`;
    this.#fail(StatusCode.UNAVAILABLE, details, true);
  }

  /** grpc-status arrives in the trailers, or (trailers-only) in the head. */
  #settle(fields: string[], trailersOnly: boolean): void {
    const code = trailerCode(fields);
    if (typeof code !== "number") {
      this.#finish(undefined, this.#toError(code));
      return;
    }
    if (code !== StatusCode.OK) {
      // Header metadata came in a head of its own unless the reply was trailers-only (then the head is the trailers).
      const head = this.#reply;
      const headers = trailersOnly || head === undefined ? undefined : responseMetadata(head);
      if (this.#settled) return;
      this.#finish(undefined, this.#toError({ code, details: decodeGrpcMessage(field(fields, "grpc-message")), transport: false, metadata: responseMetadata(fields), headers }));
      return;
    }
    const parts = this.#bodyParts;
    const parsed = parseSingleMessage(parts === undefined ? this.#body : Buffer.concat(parts, this.#received));
    if (typeof parsed === "string") {
      this.#malformed(parsed);
      return;
    }
    const head = this.#reply;
    this.#finish({ message: parsed, headers: trailersOnly || head === undefined ? undefined : responseMetadata(head), trailers: responseMetadata(fields) }, undefined);
  }

  #fail(code: StatusCode, details: string, transport = false): void {
    if (this.#settled) return;
    this.#finish(undefined, this.#toError({ code, details, transport }));
  }

  /** The reply broke the gRPC protocol: 502 naming the problem, not a status the upstream chose. */
  #malformed(problem: string): void {
    if (this.#settled) return;
    this.#finish(undefined, this.#toError(malformed(problem)));
  }

  /** Settles once; a call that ends before its stream does resets the stream (CANCEL). */
  #finish(result: UnaryResult | undefined, error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#stopCancel();
    this.connection?.cancel(this, ErrorCode.CANCEL);
    this.#body = undefined;
    this.#bodyParts = undefined;
    if (result !== undefined) this.#resolve(result);
    else this.#reject(error);
  }
}

/** The one length-prefixed message of a unary response, or a reason it is malformed. */
function parseSingleMessage(body: Buffer | undefined): Buffer | string {
  if (body === undefined || body.byteLength < 5) return body === undefined ? "no response message" : "a truncated gRPC frame";
  if (body[0] === 1) return "a compressed message, which was not negotiated";
  if (body[0] !== 0) return `a frame whose compressed flag is ${body[0]} (0 or 1 allowed)`;
  const length = body.readUInt32BE(1);
  if (body.byteLength !== 5 + length)
    return body.byteLength < 5 + length ? `a frame whose length prefix (${length} bytes) runs past the end of the reply` : "more than one response message in a unary call";
  return body.subarray(5);
}
