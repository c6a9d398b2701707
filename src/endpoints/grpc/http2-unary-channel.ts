import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from "node:http2";
import { Metadata } from "@grpc/grpc-js";
import type { CallMetadata } from "./grpc-metadata.js";
import type { Cancellation } from "../../core/cancellation.js";
import { StatusCode } from "../../core/status-code.js";
import { codeFromHttpStatus } from "../../core/http-status.js";
import type { StatusToError, UnaryResult } from "./grpc-calls.js";
import type { ClientTls } from "../../tls/client-tls.js";
import { decodeGrpcMessage, parseSingleMessage } from "./h2/reply-status.js";

export interface Http2ChannelOptions {
  readonly maxReceiveMessageSize: number;
  readonly keepaliveTime: number;
  readonly keepaliveTimeout: number;
}

/** `grpc-timeout` for a deadline: whole milliseconds, at most 8 digits. */
function timeoutHeader(milliseconds: number): string {
  const value = Math.max(1, Math.ceil(milliseconds));
  return value < 100_000_000 ? `${value}m` : `${Math.ceil(value / 1000)}S`;
}

/**
 * Unary gRPC calls over one plain node:http2 session per target: the lean
 * hot path (the grpc-js client costs about 3× the CPU per call on the
 * benchmark machine). It does what a gRPC client must: length-prefixed
 * frames, `grpc-timeout` plus a local deadline (RST_STREAM on expiry),
 * trailers-only answers, status details in trailers, keepalive pings that
 * drop a dead connection, GOAWAY (new calls go to a fresh session while
 * in-flight ones finish) and reconnects with backoff after failures.
 */
export class Http2UnaryChannel {
  readonly #authority: string;
  readonly #options: Http2ChannelOptions;
  readonly #tls: ClientTls | undefined;
  #session: ClientHttp2Session | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #retryAfter = 0;
  #closed = false;

  constructor(target: string, options: Http2ChannelOptions, tls: ClientTls | undefined) {
    this.#authority = `${tls === undefined ? "http" : "https"}://${target.replace(/^dns:\/{0,3}/, "").replace(/^ipv4:/, "")}`;
    this.#options = options;
    this.#tls = tls;
  }

  #connect(): ClientHttp2Session {
    // With tls: the same CA, client certificate, server name and verification as the grpc-js channel.
    const tls = this.#tls === undefined ? {} : { ...this.#tls.connectOptions, ALPNProtocols: ["h2"] };
    const session = connect(this.#authority, { settings: { enablePush: false }, ...tls });
    let connected = false;
    session.on("connect", () => {
      connected = true;
      this.#failures = 0;
    });
    session.on("error", () => {
      if (!connected) this.#noteConnectFailure();
    });
    // A GOAWAY drains this session: in-flight calls finish on it, new calls open another.
    session.on("goaway", () => this.#forget(session));
    session.on("close", () => this.#forget(session));
    session.unref();
    this.#session = session;
    this.#startPings(session);
    return session;
  }

  #forget(session: ClientHttp2Session): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    clearInterval(this.#pingTimer);
  }

  /** Keepalive: a ping every keepaliveTime; one unanswered for keepaliveTimeout drops the session. */
  #startPings(session: ClientHttp2Session): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (session.destroyed || session.connecting) return;
      const watchdog = setTimeout(() => session.destroy(), this.#options.keepaliveTimeout);
      const sent = session.ping((error) => {
        clearTimeout(watchdog);
        if (error !== null) session.destroy();
      });
      if (!sent) clearTimeout(watchdog);
    }, this.#options.keepaliveTime);
    this.#pingTimer.unref();
  }

  #sessionForCall(): ClientHttp2Session | undefined {
    const current = this.#session;
    if (current !== undefined && !current.destroyed && !current.closed) return current;
    // Back off after repeated connection failures instead of hammering a dead target.
    if (Date.now() < this.#retryAfter) return undefined;
    return this.#connect();
  }

  #noteConnectFailure(): void {
    this.#failures++;
    this.#retryAfter = Date.now() + Math.min(100 * 2 ** (this.#failures - 1), 5000);
  }

  call(path: string, request: Buffer, metadata: CallMetadata, deadline: Date, cancellation: Cancellation, toError: StatusToError): Promise<UnaryResult> {
    return new Promise((resolve, reject) => {
      const session = this.#closed ? undefined : this.#sessionForCall();
      if (session === undefined) {
        reject(toError({ code: StatusCode.UNAVAILABLE, details: `No connection established to ${this.#authority} (retrying with backoff)`, transport: true }));
        return;
      }
      const remaining = deadline.getTime() - Date.now();
      if (remaining <= 0) {
        reject(toError({ code: StatusCode.DEADLINE_EXCEEDED, details: "Deadline exceeded before the call was sent" }));
        return;
      }
      const headers = {
        ...metadata.toMetadata().toHttp2Headers(),
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
        te: "trailers",
        "grpc-timeout": timeoutHeader(remaining),
        "user-agent": "rosetta",
      };
      let stream: ClientHttp2Stream;
      try {
        stream = session.request(headers, { endStream: false });
      } catch (error) {
        this.#forget(session);
        reject(toError({ code: StatusCode.UNAVAILABLE, details: `cannot start a call: ${(error as Error).message}`, transport: true }));
        return;
      }
      let settled = false;
      let responseHeaders: IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stopCancel();
        outcome();
      };
      const fail = (code: StatusCode, details: string, trailers?: IncomingHttpHeaders, transport = false) => {
        const failureMetadata = trailers === undefined ? undefined : Metadata.fromHttp2Headers(trailers);
        // Header metadata came in a head of its own unless the reply was trailers-only (then the head is the trailers).
        const headerMetadata = trailers === undefined || trailers === responseHeaders || responseHeaders === undefined ? undefined : Metadata.fromHttp2Headers(responseHeaders);
        finish(() => reject(toError({ code, details, transport, metadata: failureMetadata, headers: headerMetadata })));
        if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      };
      /** The reply broke the gRPC protocol: 502 naming the problem, not a status the upstream chose. */
      const malformed = (problem: string) => {
        finish(() => reject(toError({ code: StatusCode.INTERNAL, details: problem, malformed: true })));
        if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      };
      const limit = this.#options.maxReceiveMessageSize;
      const timer = setTimeout(() => fail(StatusCode.DEADLINE_EXCEEDED, "Deadline exceeded"), remaining);
      const stopCancel = cancellation.onCancel((reason) => {
        finish(() => reject(reason));
        if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      });

      stream.on("response", (received: IncomingHttpHeaders) => {
        responseHeaders = received;
        const status = Number(received[constants.HTTP2_HEADER_STATUS]);
        if (received["grpc-status"] !== undefined) return settleFrom(received, true);
        if (status !== 200) fail(codeFromHttpStatus(status), `upstream answered HTTP ${status}`, undefined, status === 502 || status === 503 || status === 504);
        else if (!String(received["content-type"] ?? "").startsWith("application/grpc")) malformed(`its content-type is ${String(received["content-type"])}, not application/grpc`);
      });
      stream.on("data", (chunk: Buffer) => {
        if (settled) return;
        received += chunk.byteLength;
        chunks.push(chunk);
        // The length prefix says how big the message is: refuse it before buffering it all.
        if (received >= 5) {
          const head = chunks[0]!.byteLength >= 5 ? chunks[0]! : Buffer.concat(chunks, received);
          const length = head.readUInt32BE(1);
          if (length > limit) malformed(`a reply message of ${length} bytes is over maxReceiveMessageSize (${limit} bytes)`);
          else if (received > limit + 5) malformed(`the reply is more than one message, over maxReceiveMessageSize (${limit} bytes)`);
        }
      });
      stream.on("trailers", (trailers: IncomingHttpHeaders) => settleFrom(trailers, false));
      stream.on("error", (error: Error) => fail(StatusCode.UNAVAILABLE, `connection failed: ${error.message}`, undefined, true));
      stream.on("close", () => {
        if (settled) return;
        // A stream the upstream ended cleanly but without trailers broke the protocol; a reset one is a dropped connection.
        if (responseHeaders !== undefined && stream.rstCode === constants.NGHTTP2_NO_ERROR) malformed("the call ended without a grpc-status");
        else fail(StatusCode.UNAVAILABLE, responseHeaders === undefined ? `No connection established to ${this.#authority}` : "the connection was reset before the call ended", undefined, true);
      });

      /** grpc-status arrives in the trailers, or (trailers-only) in the headers. */
      const settleFrom = (source: IncomingHttpHeaders, trailersOnly: boolean) => {
        const status = source["grpc-status"];
        if (status === undefined) return malformed(trailersOnly ? "the reply head has no grpc-status" : "the trailers carry no grpc-status");
        const code = Number(status);
        if (!/^\d{1,2}$/.test(String(status)) || code > 16) return malformed(`grpc-status ${JSON.stringify(status)} is not a status code`);
        const grpcMessage = source["grpc-message"];
        const message = decodeGrpcMessage(Array.isArray(grpcMessage) ? grpcMessage[0] : grpcMessage);
        if (code !== StatusCode.OK) return fail(code, message, source);
        const body = Buffer.concat(chunks, received);
        // An empty body is no message at all, as on the own client (which never saw a DATA frame).
        const parsed = parseSingleMessage(body.byteLength === 0 ? undefined : body);
        if (typeof parsed === "string") return malformed(parsed);
        finish(() =>
          resolve({
            message: parsed,
            headers: trailersOnly || responseHeaders === undefined ? undefined : Metadata.fromHttp2Headers(responseHeaders),
            trailers: Metadata.fromHttp2Headers(source),
          }),
        );
      };

      const frame = Buffer.allocUnsafe(5 + request.byteLength);
      frame[0] = 0;
      frame.writeUInt32BE(request.byteLength, 1);
      request.copy(frame, 5);
      stream.end(frame);
    });
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#pingTimer);
    this.#session?.close();
    this.#session = undefined;
  }
}
