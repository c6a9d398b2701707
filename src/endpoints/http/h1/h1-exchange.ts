import type { Readable } from "node:stream";
import type { PushSink } from "../../../core/body.js";
import { PushRelay } from "../push-relay.js";
import { emptyBody } from "../../../core/body.js";
import type { Cancellation } from "../../../core/cancellation.js";
import type { HeaderMap, ResponseEnvelope } from "../../../core/envelope.js";
import { stripHopByHop } from "../../../core/hop-by-hop.js";
import type { ResponseHandler } from "./response-parser.js";

/** What an exchange asks of the connection (or the pool queue) that holds it. */
export interface ExchangeHolder {
  pause(): void;
  resume(): void;
  /** The exchange is abandoned: the connection cannot be reused, a queued exchange leaves the queue. */
  abandon(exchange: H1Exchange): void;
}

/**
 * One request and its reply on Rosetta's HTTP/1.1 client. The reply head
 * settles `response`; the body is pushed straight into the caller's sink
 * (this object is the PushSource). The deadline covers queueing, connecting
 * and waiting for the head; a caller that leaves abandons the exchange at
 * any point, which closes its connection (its reply can no longer be read
 * to the end cheaply).
 */
export class H1Exchange extends PushRelay implements ResponseHandler {
  readonly response: Promise<ResponseEnvelope>;
  readonly method: string;
  readonly path: string;
  readonly headers: HeaderMap;
  readonly body: Uint8Array | Readable | null;
  readonly headOnly: boolean;
  /** Set once a reused connection died before answering and the request went out again. */
  retried = false;
  holder: ExchangeHolder | undefined;
  #resolve!: (response: ResponseEnvelope) => void;
  #reject!: (error: unknown) => void;
  readonly #stopCancel: () => void;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;
  #started = false;

  constructor(method: string, path: string, headers: HeaderMap, body: Uint8Array | Readable | null, deadlineMs: number, onDeadline: () => Error, cancellation: Cancellation) {
    super();
    this.method = method;
    this.path = path;
    this.headers = headers;
    this.body = body;
    this.headOnly = method === "HEAD";
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(() => this.cancel(onDeadline()), deadlineMs);
    this.#stopCancel = cancellation.onCancel((reason) => this.cancel(reason));
  }

  /** True while the request may be sent again as it is (no body, or its bytes). */
  get replayable(): boolean {
    return this.body === null || this.body instanceof Uint8Array;
  }

  get ended(): boolean {
    return this.#ended;
  }

  onHead(status: number, headers: HeaderMap, hasBody: boolean): void {
    this.#started = true;
    clearTimeout(this.#timer);
    stripHopByHop(headers);
    const length = headers["content-length"];
    this.#resolve({
      status,
      headers,
      body: hasBody ? { kind: "push", source: this, length: typeof length === "string" ? Number(length) : undefined } : emptyBody,
    });
  }

  onBody(chunk: Buffer): void {
    this.relayChunk(chunk);
  }

  onComplete(trailers: HeaderMap): void {
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#stopCancel();
    this.relayEnd(trailers);
  }

  /** The connection or pool failed the exchange. */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.holder = undefined;
    clearTimeout(this.#timer);
    this.#stopCancel();
    if (!this.#started) {
      this.#reject(error);
      return;
    }
    this.relayFailure(error);
  }

  protected pauseProducer(): void {
    this.holder?.pause();
  }

  protected resumeProducer(): void {
    this.holder?.resume();
  }

  /** After the head and the bytes before the failure have gone out, then the cut. */
  protected failLate(sink: PushSink, failure: Error): void {
    setImmediate(() => sink.fail(failure));
  }

  resume(): void {
    this.holder?.resume();
  }

  /** Abandons the exchange; before the reply head, `response` rejects with `reason`. */
  cancel(reason: Error): void {
    if (this.#ended) return;
    const holder = this.holder;
    this.fail(reason);
    holder?.abandon(this);
  }
}
