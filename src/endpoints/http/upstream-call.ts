import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import type { PushSink } from "../../core/body.js";
import { PushRelay } from "./push-relay.js";
import { emptyBody } from "../../core/body.js";
import type { Cancellation } from "../../core/cancellation.js";
import type { ResponseEnvelope } from "../../core/envelope.js";
import { stripHopByHop } from "../../core/hop-by-hop.js";

type Controller = Dispatcher.DispatchController;

/**
 * One upstream HTTP exchange, as undici's lowest-level handler. The response
 * head settles `response`; the body is then pushed straight into the caller's
 * socket (this object is the PushSource), with no stream object in between.
 * Backpressure goes both ways through undici's controller pause/resume. The
 * deadline covers queueing, connecting and waiting for the head; a caller
 * that leaves aborts the exchange at any point.
 */
export class UpstreamCall extends PushRelay implements Dispatcher.DispatchHandler {
  readonly response: Promise<ResponseEnvelope>;
  #resolve!: (response: ResponseEnvelope) => void;
  #reject!: (error: unknown) => void;
  readonly #headOnly: boolean;
  readonly #stopCancel: () => void;
  #timer: NodeJS.Timeout | undefined;
  #controller: Controller | undefined;
  #abortReason: Error | undefined;
  #started = false;

  constructor(headOnly: boolean, deadlineMs: number, onDeadline: () => Error, cancellation: Cancellation) {
    super();
    this.#headOnly = headOnly;
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(() => this.cancel(onDeadline()), deadlineMs);
    this.#stopCancel = cancellation.onCancel((reason) => this.cancel(reason));
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason);
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    this.#started = true;
    clearTimeout(this.#timer);
    stripHopByHop(headers);
    const length = headers["content-length"];
    const noBody = this.#headOnly || statusCode === 204 || statusCode === 304 || length === "0";
    this.#resolve({
      status: statusCode,
      headers,
      body: noBody ? emptyBody : { kind: "push", source: this, length: length === undefined ? undefined : Number(length) },
    });
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    this.relayChunk(chunk);
  }

  onResponseEnd(_controller: Controller, trailers: IncomingHttpHeaders): void {
    this.#stopCancel();
    this.relayEnd(trailers);
  }

  onResponseError(_controller: Controller, error: Error): void {
    clearTimeout(this.#timer);
    this.#stopCancel();
    if (!this.#started) {
      this.#reject(this.#abortReason ?? error);
      return;
    }
    this.relayFailure(error);
  }

  protected pauseProducer(): void {
    this.#controller?.pause();
  }

  protected resumeProducer(): void {
    if (this.#controller?.paused === true) this.#controller.resume();
  }

  protected failLate(sink: PushSink, failure: Error): void {
    sink.fail(failure);
  }

  resume(): void {
    this.#controller?.resume();
  }

  /** Aborts the exchange; before the response head, `response` rejects with `reason`. */
  cancel(reason: Error): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    clearTimeout(this.#timer);
    if (!this.#started) this.#reject(reason);
    this.#controller?.abort(reason);
  }
}
