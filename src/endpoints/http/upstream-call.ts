import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import type { PushSink, PushSource } from "../../core/body.js";
import { emptyBody } from "../../core/body.js";
import type { HeaderMap, ResponseEnvelope } from "../../core/envelope.js";
import { stripHopByHop } from "../../http/hop-by-hop.js";

type Controller = Dispatcher.DispatchController;
type Headers = IncomingHttpHeaders;

/** Chunks kept while nobody reads yet; past this the upstream socket is paused. */
const maxBufferedBytes = 64 * 1024;

/**
 * One upstream HTTP exchange, as undici's lowest-level handler. The response
 * head settles `response`; the body is then pushed straight into the caller's
 * socket (this object is the PushSource), with no stream object in between.
 * Backpressure goes both ways through undici's controller pause/resume.
 */
export class UpstreamCall implements Dispatcher.DispatchHandler, PushSource {
  readonly response: Promise<ResponseEnvelope>;
  #resolve!: (response: ResponseEnvelope) => void;
  #reject!: (error: unknown) => void;
  #controller: Controller | undefined;
  #abortReason: Error | undefined;
  #started = false;
  #sink: PushSink | undefined;
  #buffered: Buffer[] | undefined;
  #bufferedBytes = 0;
  #trailers: Headers | undefined;
  #failure: Error | undefined;

  constructor(readonly headOnly: boolean) {
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get started(): boolean {
    return this.#started;
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason);
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: Headers): void {
    if (statusCode < 200) return;
    this.#started = true;
    stripHopByHop(headers as HeaderMap);
    const noBody = this.headOnly || statusCode === 204 || statusCode === 304 || headers["content-length"] === "0";
    const length = headers["content-length"];
    this.#resolve({
      status: statusCode,
      headers: headers as HeaderMap,
      body: noBody ? emptyBody : { kind: "push", source: this, length: typeof length === "string" ? Number(length) : undefined },
    });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    const sink = this.#sink;
    if (sink !== undefined) {
      if (!sink.write(chunk)) controller.pause();
      return;
    }
    (this.#buffered ??= []).push(chunk);
    this.#bufferedBytes += chunk.byteLength;
    if (this.#bufferedBytes > maxBufferedBytes) controller.pause();
  }

  onResponseEnd(_controller: Controller, trailers: Headers): void {
    this.#trailers = trailers;
    this.#sink?.end(trailers as HeaderMap);
  }

  onResponseError(_controller: Controller, error: Error): void {
    if (!this.#started) {
      this.#reject(this.#abortReason ?? error);
      return;
    }
    this.#failure = error;
    this.#sink?.fail(error);
  }

  pipe(sink: PushSink): void {
    this.#sink = sink;
    const buffered = this.#buffered;
    this.#buffered = undefined;
    if (buffered !== undefined) for (const chunk of buffered) sink.write(chunk);
    if (this.#failure !== undefined) sink.fail(this.#failure);
    else if (this.#trailers !== undefined) sink.end(this.#trailers as HeaderMap);
    else if (this.#controller?.paused === true) this.#controller.resume();
  }

  resume(): void {
    this.#controller?.resume();
  }

  /** Aborts the exchange; before the response head, `response` rejects with `reason`. */
  cancel(reason: Error): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    if (!this.#started) this.#reject(reason);
    this.#controller?.abort(reason);
  }
}
