import type { Readable } from "node:stream";
import type { PushSink, PushSource } from "../../../core/body.js";
import { emptyBody } from "../../../core/body.js";
import type { Cancellation } from "../../../core/cancellation.js";
import type { HeaderMap, ResponseEnvelope } from "../../../core/envelope.js";
import { stripHopByHop } from "../../../core/hop-by-hop.js";
import type { ResponseHandler } from "./response-parser.js";

/** Chunks kept while nobody reads yet; past this the upstream socket is paused. */
const maxBufferedBytes = 64 * 1024;

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
export class H1Exchange implements ResponseHandler, PushSource {
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
  #sink: PushSink | undefined;
  #buffered: Buffer[] | undefined;
  #bufferedBytes = 0;
  #trailers: HeaderMap | undefined;
  #failure: Error | undefined;

  constructor(method: string, path: string, headers: HeaderMap, body: Uint8Array | Readable | null, deadlineMs: number, onDeadline: () => Error, cancellation: Cancellation) {
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
    const sink = this.#sink;
    if (sink !== undefined) {
      if (!sink.write(chunk)) this.holder?.pause();
      return;
    }
    (this.#buffered ??= []).push(chunk);
    this.#bufferedBytes += chunk.byteLength;
    if (this.#bufferedBytes > maxBufferedBytes) this.holder?.pause();
  }

  onComplete(trailers: HeaderMap): void {
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#stopCancel();
    this.#trailers = trailers;
    this.#sink?.end(trailers);
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
    this.#failure = error;
    this.#sink?.fail(error);
  }

  pipe(sink: PushSink): void {
    this.#sink = sink;
    const buffered = this.#buffered;
    this.#buffered = undefined;
    if (buffered !== undefined) for (const chunk of buffered) sink.write(chunk);
    const failure = this.#failure;
    // A failure that came before the caller read: the head and the bytes before it go out first, then the cut.
    if (failure !== undefined) setImmediate(() => sink.fail(failure));
    else if (this.#trailers !== undefined) sink.end(this.#trailers);
    else this.holder?.resume();
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
