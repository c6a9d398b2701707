import { Readable } from "node:stream";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bytesBody, emptyBody, type Body } from "../../core/body.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { bodyTooLarge } from "../../core/read-body.js";
import type { BodyBufferBudget } from "./body-buffer-budget.js";

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly bufferBodyBytes: number;
  readonly bodyIdleTimeout: number;
  /** Shared by the listener's requests; the bytes a buffered body holds return when its response closes. */
  readonly bodyBuffer: BodyBufferBudget;
}

/** The body as the handler gets it; a GatewayError to answer instead; undefined when the caller left. */
export type BodyOutcome = Body | GatewayError | undefined;

const callerLeft = new GatewayError(StatusCode.CANCELLED, "the caller closed the connection");

const ignoreError = (): void => {};

function bodyIdle(ms: number): GatewayError {
  return new GatewayError(StatusCode.DEADLINE_EXCEEDED, `no request body bytes arrived for ${ms} ms`, { httpStatus: 408 });
}

/**
 * Receives a request body before the handler runs, as nginx does: a body of
 * at most `bufferBodyBytes` (by Content-Length, or a chunked one that ends
 * before it) is read whole, so no upstream connection waits on a caller that
 * trickles its bytes; a larger one, or one the listener's `bodyBuffer` has no
 * room for, streams. Either way no more than
 * `bodyIdleTimeout` may pass between body bytes (→ 408). `100 Continue` is
 * sent only once the body is wanted, so a request refused on its head never
 * invites its body. `length` is undefined for a chunked body. `done` runs
 * once, synchronously for a bodiless request.
 */
export function receiveBody(req: IncomingMessage, res: ServerResponse, length: number | undefined, limits: BodyLimits, expectContinue: boolean, done: (outcome: BodyOutcome) => void): void {
  if (length === 0) {
    done(emptyBody);
    return;
  }
  if (length !== undefined && length > limits.bufferBodyBytes) {
    done({ kind: "readable", stream: new RequestBody(req, res, [], 0, limits, expectContinue), length });
    return;
  }
  // Charged as bytes arrive, not as declared: a caller trickling a large body holds next to nothing.
  const budget = limits.bodyBuffer;
  let held = 0;
  res.once("close", () => budget.give(held));
  if (expectContinue) res.writeContinue();
  // A body switches to streaming once it passes this (chunked) or the budget runs out.
  const bufferLimit = Math.min(limits.bufferBodyBytes, limits.maxBodyBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  const finish = (outcome: BodyOutcome) => {
    clearTimeout(timer);
    req.off("data", onData);
    req.off("end", onEnd);
    req.off("close", onClose);
    req.off("error", onClose);
    done(outcome);
  };
  const onData = (chunk: Buffer) => {
    total += chunk.byteLength;
    chunks.push(chunk);
    timer.refresh();
    if (total <= bufferLimit && budget.take(chunk.byteLength)) {
      held += chunk.byteLength;
      return;
    }
    // Streaming from here: what was buffered becomes the stream's start and leaves the budget.
    budget.give(held);
    held = 0;
    req.pause();
    finish(total > limits.maxBodyBytes ? bodyTooLarge(limits.maxBodyBytes) : { kind: "readable", stream: new RequestBody(req, res, chunks, total, limits, false), length });
  };
  const onEnd = () => finish(total === 0 ? emptyBody : bytesBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)));
  const onClose = () => finish(undefined);
  const timer = setTimeout(() => finish(bodyIdle(limits.bodyIdleTimeout)), limits.bodyIdleTimeout);
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("close", onClose);
  req.on("error", onClose);
}

/**
 * A large body as a stream the handler owns. Destroying it (a limit hit, a
 * call that gave up) stops reading without destroying the connection, so the
 * caller still gets the answer; the listener then closes the connection
 * with a lingering close. Backpressure is the request's own pause/resume.
 */
class RequestBody extends Readable {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #limits: BodyLimits;
  #expectContinue: boolean;
  #seen: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, prefix: readonly Buffer[], seen: number, limits: BodyLimits, expectContinue: boolean) {
    super();
    // Its consumer (undici, a codec reading it whole) sees errors through its own listener; one
    // that has let go, or never started (a route that answered without reading), must not turn
    // a caller's reset into an unhandled 'error' that ends the process.
    this.on("error", ignoreError);
    this.#req = req;
    this.#res = res;
    this.#limits = limits;
    this.#expectContinue = expectContinue;
    this.#seen = seen;
    for (const chunk of prefix) this.push(chunk);
    // Paused first, or adding a 'data' listener would start the flow before anyone reads.
    req.pause();
    req.on("data", this.#onData);
    req.on("end", this.#onEnd);
    req.on("close", this.#onClose);
    req.on("error", this.#onClose);
  }

  override _read(): void {
    if (this.#expectContinue) {
      this.#expectContinue = false;
      this.#res.writeContinue();
    }
    // Waiting on the caller from now on: its silence counts.
    if (this.#timer === undefined) this.#timer = setTimeout(this.#onIdle, this.#limits.bodyIdleTimeout);
    this.#req.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#stopTimer();
    const req = this.#req;
    req.off("data", this.#onData);
    req.off("end", this.#onEnd);
    req.off("close", this.#onClose);
    req.off("error", this.#onClose);
    req.pause();
    callback(error);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#seen += chunk.byteLength;
    if (this.#seen > this.#limits.maxBodyBytes) {
      this.destroy(bodyTooLarge(this.#limits.maxBodyBytes));
      return;
    }
    this.#timer?.refresh();
    if (!this.push(chunk)) {
      // The reader is full, not the caller slow: its silence does not count.
      this.#req.pause();
      this.#stopTimer();
    }
  };

  readonly #onEnd = (): void => {
    this.#stopTimer();
    this.push(null);
  };

  readonly #onClose = (): void => {
    if (!this.#req.complete) this.destroy(callerLeft);
  };

  readonly #onIdle = (): void => {
    this.#timer = undefined;
    this.destroy(bodyIdle(this.#limits.bodyIdleTimeout));
  };

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
