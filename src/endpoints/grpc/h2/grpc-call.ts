import type { Metadata } from "@grpc/grpc-js";
import type { CallMetadata } from "../grpc-metadata.js";
import type { Cancellation } from "../../../core/cancellation.js";
import { StatusCode } from "../../../core/status-code.js";
import type { StatusToError } from "../grpc-calls.js";
import { ErrorCode, errorName } from "./frames.js";
import type { H2Connection } from "./h2-connection.js";
import { H2Stream } from "./h2-stream.js";
import { RequestHead } from "./request-head.js";
import { decodeGrpcMessage, headFailure, malformed, trailerCode } from "./reply-status.js";
import { field, responseMetadata } from "./response-metadata.js";

const noop = (): void => undefined;

/**
 * What a unary and a server-streaming call share: the request head and
 * message the connection writes, the deadline and cancellation, and reading
 * the reply's header blocks (head, trailers or a trailers-only reply) into
 * a status. Subclasses read the DATA and say how the call ends.
 */
export abstract class GrpcCall extends H2Stream {
  readonly message: Buffer;
  readonly headerBlockSize: number;
  /** Set by the channel each time it starts the call on a connection. */
  connection: H2Connection | undefined = undefined;
  /** Set once the call has ended, whichever way. */
  protected ended = false;
  /** The reply's first header block, once it came. */
  protected reply: string[] | undefined = undefined;
  protected readonly authority: string;
  protected readonly limit: number;
  protected readonly toError: StatusToError;
  readonly #head: RequestHead;
  readonly #timer: NodeJS.Timeout;
  #stopCancel: () => void = noop;

  constructor(fixedBlock: Buffer, authority: string, limit: number, message: Buffer, metadata: CallMetadata, remaining: number, toError: StatusToError) {
    super();
    this.message = message;
    this.authority = authority;
    this.limit = limit;
    this.toError = toError;
    this.#head = new RequestHead(fixedBlock, metadata, remaining);
    this.headerBlockSize = this.#head.size;
    this.#timer = setTimeout(() => this.fail(StatusCode.DEADLINE_EXCEEDED, "Deadline exceeded"), remaining);
  }

  /** Ends the call when `cancellation` fires; called last by a subclass constructor (a cancelled one ends the call at once). */
  protected watch(cancellation: Cancellation): void {
    this.#stopCancel = cancellation.onCancel((reason) => this.end(reason));
  }

  /** Ends the call: with `failure`, or cleanly when undefined (what that means is the subclass's). */
  protected abstract end(failure: unknown): void;
  /** The status in `fields` is OK: the call completes with what it read. */
  protected abstract succeed(trailers: string[], trailersOnly: boolean): void;

  writeHeaderBlock(target: Buffer, offset: number): number {
    return this.#head.write(target, offset);
  }

  headers(fields: string[], endStream: boolean): void {
    if (this.ended) return;
    if (this.reply !== undefined) {
      if (!endStream) {
        this.malformed("a second header block before the end of the reply");
        return;
      }
      this.#settle(fields, false);
      return;
    }
    this.reply = fields;
    if (field(fields, "grpc-status") !== undefined) {
      this.#settle(fields, true);
      return;
    }
    const failure = headFailure(fields);
    if (failure !== undefined) {
      this.end(this.toError(failure));
      return;
    }
    if (endStream) this.malformed("the call ended without a grpc-status");
  }

  reset(code: number): void {
    if (this.ended) return;
    if (code === ErrorCode.NO_ERROR && this.reply !== undefined) {
      this.malformed("the call ended without a grpc-status");
      return;
    }
    this.fail(StatusCode.UNAVAILABLE, `the upstream reset the call (RST_STREAM ${errorName(code)})`, true);
  }

  /** The response header metadata: none for a trailers-only reply (its one block is the trailers). */
  protected headerMetadata(): Metadata | undefined {
    const reply = this.reply;
    return reply === undefined || field(reply, "grpc-status") !== undefined ? undefined : responseMetadata(reply);
  }

  protected fail(code: StatusCode, details: string, transport = false): void {
    if (this.ended) return;
    this.end(this.toError({ code, details, transport }));
  }

  /** The reply broke the gRPC protocol: 502 naming the problem, not a status the upstream chose. */
  protected malformed(problem: string): void {
    if (this.ended) return;
    this.end(this.toError(malformed(problem)));
  }

  /** Stops the timer and the cancellation hook and resets the stream if it is still open (CANCEL); subclasses call it when they end. */
  protected release(): void {
    this.ended = true;
    clearTimeout(this.#timer);
    this.#stopCancel();
    this.connection?.cancel(this, ErrorCode.CANCEL);
  }

  /** grpc-status arrives in the trailers, or (trailers-only) in the head. */
  #settle(fields: string[], trailersOnly: boolean): void {
    const code = trailerCode(fields);
    if (typeof code !== "number") {
      this.end(this.toError(code));
      return;
    }
    if (code !== StatusCode.OK) {
      // Header metadata from a head of its own goes with the error, as the trailers do.
      this.end(this.toError({ code, details: decodeGrpcMessage(field(fields, "grpc-message")), transport: false, metadata: responseMetadata(fields), headers: this.headerMetadata() }));
      return;
    }
    this.succeed(fields, trailersOnly);
  }
}
