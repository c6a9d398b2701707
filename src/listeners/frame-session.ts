import { bytesBody, emptyBody, valueBody, type Body, type MessagesBody } from "../core/body.js";
import { beginCodecStep, chooseCodecs, codecChoice, decodeStreamMessage, encodeReply, encodeStreamMessage, type CodecChoice } from "../codecs/codec-step.js";
import { applyFixedHeaders, headerText, type HeaderMap, type Peer, type RequestEnvelope, type ResponseEnvelope } from "../core/envelope.js";
import { errorResponse } from "../core/error-response.js";
import { GatewayError } from "../core/gateway-error.js";
import { readBodyBytes } from "../core/read-body.js";
import { createRequestEnvelope } from "../core/request.js";
import { StatusCode } from "../core/status-code.js";
import type { ListenerContext } from "./listener.js";
import { requestIdOf, traceOf } from "./request-identity.js";
import { FrameError, type Frame, type FrameBody } from "../frames/frame.js";
import type { FrameFormat } from "../frames/frame-format.js";
import { toFrameHeaders } from "../frames/frame-fields.js";
import { MessageQueue } from "./message-queue.js";

/** Where a session's reply frames go: a WebSocket, a TCP connection, a UDP peer. */
export interface FrameSink {
  /** Sends one frame; false when the transport is over its high-water mark. */
  send(frame: Frame): boolean;
  /** Resolves once the transport takes more again (or has closed). */
  drained(): Promise<void>;
}

export interface FrameSessionOptions {
  readonly maxInFlight: number;
  /** Upstream reply bodies are read whole into a frame up to this size. */
  readonly maxReplyBytes: number;
  /** Client-stream messages waiting for the upstream, per call. */
  readonly maxQueuedMessages: number;
}

interface Call {
  readonly request: RequestEnvelope;
  readonly input: MessageQueue | undefined;
  messages: MessagesBody | undefined;
}

// Frame headers describe the body inside the frame; connection-level HTTP headers mean nothing there.
const connectionHeaders = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "trailer"]);

/**
 * The calls of one framed connection (a WebSocket, a TCP connection, or one
 * UDP datagram): request frames become RequestEnvelopes for the gateway's
 * handler, many in flight at once, correlated by id; replies become frames
 * with exactly the status and body the HTTP listener would send. Client
 * streams are fed by data frames and half-closed by an end frame; a cancel
 * frame or the connection closing cancels the upstream call.
 */
export class FrameSession {
  readonly #calls = new Map<string, Call>();
  readonly #context: ListenerContext;
  readonly #format: FrameFormat;
  readonly #sink: FrameSink;
  readonly #peer: Peer;
  readonly #options: FrameSessionOptions;
  /** The choice for replies outside a call (refused frames) and for errors: JSON. */
  readonly #plain: () => CodecChoice;
  #closed = false;
  /** Frames being decoded or replies being written outside any call (async work a half-close must wait for). */
  #pending = 0;
  #inputEnded: GatewayError | undefined;
  #settledWaiters: Array<() => void> = [];

  constructor(context: ListenerContext, format: FrameFormat, sink: FrameSink, peer: Peer, options: FrameSessionOptions) {
    this.#context = context;
    this.#format = format;
    this.#sink = sink;
    this.#peer = peer;
    this.#options = options;
    const plain = chooseCodecs(context.codecs, {});
    this.#plain = () => plain;
  }

  /** Calls open, plus frames still being decoded and error replies still being written. */
  get inFlight(): number {
    return this.#calls.size + this.#pending;
  }

  /** Resolves once nothing is in flight (at once when nothing is). */
  settled(): Promise<void> {
    if (this.inFlight === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /**
   * No frame follows those already received (a TCP half-close; the one
   * datagram of a UDP call): calls made run to their replies, but a client
   * stream not yet ended can never be, so it fails with `reason` rather than
   * reach the upstream cut short, and one opened from now on is refused.
   */
  endInput(reason: GatewayError): void {
    this.#inputEnded = reason;
    for (const call of this.#calls.values()) if (call.input !== undefined && !call.input.ended) call.input.fail(reason);
  }

  /**
   * Decodes one frame's bytes and acts on it; a frame that cannot be read or
   * acted on gets an error reply. Never throws: it runs in the transport's
   * 'data' and 'message' handlers, where a throw would end the process.
   */
  receive(bytes: Uint8Array): void {
    try {
      const decoded = this.#format.decode(bytes);
      if (decoded instanceof Promise) {
        this.#pending++;
        decoded
          .then(
            (frame) => this.#act(frame),
            (error: unknown) => this.reject(error),
          )
          .finally(() => this.#unpend());
      } else {
        this.#dispatch(decoded);
      }
    } catch (error) {
      this.reject(error);
    }
  }

  #act(frame: Frame): void {
    try {
      this.#dispatch(frame);
    } catch (error) {
      this.reject(error);
    }
  }

  /** An error reply for input that is not a usable frame (the id, when known, names the call). */
  reject(reason: unknown, status = StatusCode.INVALID_ARGUMENT): void {
    const error = reason instanceof FrameError ? new GatewayError(status, reason.message) : GatewayError.from(reason);
    this.#send(reason instanceof FrameError ? (reason.id ?? "") : "", errorResponse(error), this.#plain);
  }

  /** The connection is gone: every open call is cancelled upstream. */
  close(reason: Error): void {
    this.#closed = true;
    for (const call of this.#calls.values()) this.#cancel(call, reason);
    this.#calls.clear();
    this.#wakeSettled();
  }

  #unpend(): void {
    this.#pending--;
    if (this.inFlight === 0) this.#wakeSettled();
  }

  #wakeSettled(): void {
    const waiters = this.#settledWaiters;
    this.#settledWaiters = [];
    for (const wake of waiters) wake();
  }

  #dispatch(frame: Frame): void {
    if (this.#closed) return;
    if (frame.method === undefined && frame.path === undefined) {
      this.#control(frame);
      return;
    }
    if (frame.method === undefined || frame.path === undefined) {
      this.reject(new FrameError('a request frame needs both "method" and "path"', frame.id));
      return;
    }
    if (this.#calls.has(frame.id)) {
      this.reject(new FrameError(`a call with id "${frame.id}" is already in flight on this connection`, frame.id));
      return;
    }
    if (this.#calls.size >= this.#options.maxInFlight) {
      this.reject(new FrameError(`more than ${this.#options.maxInFlight} calls in flight on this connection`, frame.id), StatusCode.RESOURCE_EXHAUSTED);
      return;
    }
    this.#start(frame);
  }

  /** Data, half-close and cancel frames for a call already open. */
  #control(frame: Frame): void {
    const call = this.#calls.get(frame.id);
    if (frame.cancel === true) {
      if (call !== undefined) this.#cancel(call, new GatewayError(StatusCode.CANCELLED, "the caller cancelled the call"));
      return;
    }
    if (call?.input === undefined) {
      this.reject(new FrameError(`no client stream with id "${frame.id}" is open; open one with a request frame that has "stream": true`, frame.id));
      return;
    }
    if (frame.body !== undefined) {
      try {
        call.input.push(this.#streamMessage(frame.body));
      } catch (error) {
        call.input.fail(GatewayError.from(error));
      }
    }
    if (frame.end === true) call.input.end();
  }

  #start(frame: Frame): void {
    const headers: HeaderMap = { ...frame.headers };
    const path = frame.path!;
    const question = path.indexOf("?");
    let input: MessageQueue | undefined;
    let body: Body;
    if (frame.stream === true) {
      if (this.#inputEnded !== undefined && frame.end !== true) {
        this.reject(new FrameError(this.#inputEnded.message, frame.id), this.#inputEnded.code);
        return;
      }
      let first: unknown;
      try {
        if (frame.body !== undefined) first = this.#streamMessage(frame.body);
      } catch (error) {
        this.reject(new FrameError(`the stream's first message cannot be read: ${GatewayError.from(error).message}`, frame.id));
        return;
      }
      input = new MessageQueue(this.#options.maxQueuedMessages);
      if (frame.body !== undefined) input.push(first);
      if (frame.end === true) input.end();
      body = { kind: "messages", messages: input, format: "ndjson", cancel: (reason) => input!.fail(reason) };
    } else if (frame.body === undefined) {
      body = emptyBody;
    } else {
      headers["content-type"] ??= this.#format.bodyMediaType;
      body = frame.body.kind === "value" ? valueBody(frame.body.value) : bytesBody(frame.body.bytes);
    }
    const request = createRequestEnvelope({
      method: frame.method!,
      path: question < 0 ? path : path.slice(0, question),
      rawQuery: question < 0 ? "" : path.slice(question + 1),
      headers,
      body,
      peer: this.#peer,
      requestId: requestIdOf(headers),
      trace: traceOf(headers),
    });
    // The Content-Type given (or the format's own when a body is sent); replies default to the format's type.
    beginCodecStep(request, { accept: frame.headers.accept, contentType: headerText(headers["content-type"]), replyDefault: frame.headers["content-type"] ?? this.#format.bodyMediaType });
    const call: Call = { request, input, messages: undefined };
    this.#calls.set(frame.id, call);
    const choice = () => codecChoice(this.#context.codecs, request);
    this.#context.handle(request).then(
      (response) => this.#send(frame.id, response, choice, call),
      (error: unknown) => this.#send(frame.id, errorResponse(error), choice, call),
    );
  }

  /** Stream messages travel as JSON in every frame format. */
  #streamMessage(body: FrameBody): unknown {
    return body.kind === "value" ? body.value : decodeStreamMessage(this.#context.codecs, body.bytes);
  }

  #cancel(call: Call, reason: Error): void {
    call.request.cancellation.cancel(reason);
    call.input?.fail(reason);
    call.messages?.cancel(reason);
  }

  #finish(id: string, call: Call | undefined): void {
    if (call !== undefined && this.#calls.get(id) === call) this.#calls.delete(id);
  }

  #send(id: string, response: ResponseEnvelope, choice: () => CodecChoice, call?: Call): void {
    if (this.#closed) return;
    // Counted until written, so a half-close waits for it; a call's own entry then leaves #calls (in #write) first.
    this.#pending++;
    void this.#write(id, response, choice, call)
      .catch((error: unknown) => this.#context.logger.error("frame reply failed", { error: String(error) }))
      .finally(() => this.#unpend());
  }

  async #write(id: string, response: ResponseEnvelope, choice: () => CodecChoice, call: Call | undefined): Promise<void> {
    try {
      const headers = toFrameHeaders(response.headers, connectionHeaders);
      const { body } = response;
      if (body.kind === "messages") {
        if (call !== undefined) call.messages = body;
        await this.#writeStream(id, response.status, headers, body);
        return;
      }
      let frameBody: FrameBody | undefined;
      if (body.kind === "value") {
        const codecs = choice();
        headers["content-type"] = codecs.reply.mediaTypes[0]!;
        applyFixedHeaders(response, headers);
        // JSON frames carry a JSON body as it is; other codecs encode it to bytes.
        const encoded = codecs.reply === this.#context.codecs.json && this.#format.name === "json" ? undefined : encodeReply(codecs, body);
        if (encoded instanceof GatewayError) {
          await this.#write(id, errorResponse(encoded), this.#plain, call);
          return;
        }
        frameBody = encoded === undefined ? { kind: "value", value: body.value } : { kind: "bytes", bytes: encoded.bytes };
      } else if (body.kind !== "empty") {
        try {
          frameBody = { kind: "bytes", bytes: await readBodyBytes(body, this.#options.maxReplyBytes) };
        } catch (error) {
          const reason = GatewayError.from(error);
          await this.#write(id, errorResponse(new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `the reply does not fit in a frame: ${reason.message}`)), choice, call);
          return;
        }
      }
      if (!this.#closed) this.#sink.send({ id, status: response.status, headers, body: frameBody });
    } finally {
      this.#finish(id, call);
    }
  }

  /**
   * A server stream: one data frame per message (the first carries the
   * headers), then a final frame with the status, or the error. The next
   * message is taken only when the transport has room, so a caller that
   * does not read pauses the upstream.
   */
  async #writeStream(id: string, status: number, headers: Record<string, string>, body: MessagesBody): Promise<void> {
    let first = true;
    try {
      for await (const message of body.messages) {
        if (this.#closed) return;
        const messageHeaders = first ? { ...headers, "content-type": "application/json" } : {};
        first = false;
        if (!this.#sink.send({ id, headers: messageHeaders, body: this.#jsonBody(message) })) await this.#sink.drained();
      }
      if (!this.#closed) this.#sink.send({ id, status, headers: first ? headers : {} });
    } catch (reason) {
      if (this.#closed) return;
      const error = GatewayError.from(reason);
      const headers = { ...toFrameHeaders(error.metadata, connectionHeaders), "content-type": "application/json" };
      this.#sink.send({ id, status: error.httpStatus, headers, body: this.#jsonBody(error.toStatus()) });
    }
  }

  /** A JSON value as a frame body: inline in JSON frames, JSON bytes in the others. */
  #jsonBody(value: unknown): FrameBody {
    return this.#format.name === "json" ? { kind: "value", value } : { kind: "bytes", bytes: encodeStreamMessage(this.#context.codecs, value) };
  }
}
