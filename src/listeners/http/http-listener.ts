import type { IncomingMessage, Server, ServerOptions, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import { createRequestEnvelope } from "../../core/request.js";
import { headerText, type HeaderMap, type ResponseEnvelope } from "../../core/envelope.js";
import { beginCodecStep, chooseCodecs, codecChoice, type CodecChoice, type CodecInputs } from "../../codecs/codec-step.js";
import { errorResponse } from "../../core/error-response.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { bind, boundAddress } from "../bind.js";
import type { Listener, ListenerContext, ListenerFactory } from "../listener.js";
import { createForwardedHeaders } from "./forwarded-headers.js";
import { httpListenerSchema, type HttpListenerOptions } from "./http-options.js";
import { readIncoming } from "./incoming-request.js";
import { lingerAfterResponse, lingeringClose } from "./lingering-close.js";
import { BodyBufferBudget } from "./body-buffer-budget.js";
import { receiveBody, type BodyLimits } from "./request-body.js";
import { writeResponse } from "./write-response.js";
import { WsAcceptor } from "../ws/ws-acceptor.js";
import { createHttpServer, ServerTls } from "../../tls/server-tls.js";
import { asFaultForSoapCaller, soapCallerVersion } from "../../soap/server/soap-caller.js";

function ignore(): void {}

const clientClosed = new GatewayError(StatusCode.CANCELLED, "the caller closed the connection");

class HttpListener implements Listener {
  readonly protocol = "http";
  readonly name: string;
  readonly #options: HttpListenerOptions;
  readonly #bodyLimits: BodyLimits;
  readonly #context: ListenerContext;
  readonly #server: Server;
  readonly #forwarded: ReturnType<typeof createForwardedHeaders>;
  readonly #webSocket: WsAcceptor | undefined;
  readonly #tls: ServerTls | undefined;
  /** Connections that close after their current response: nothing more on them reaches a handler. */
  readonly #closing = new WeakSet<Socket>();
  #draining = false;

  constructor(options: HttpListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.name = options.name;
    this.#options = options;
    this.#bodyLimits = { ...options, bodyBuffer: new BodyBufferBudget(options.bodyBufferBytes) };
    this.#context = context;
    this.#forwarded = createForwardedHeaders(options.trustedProxies);
    const httpOptions: ServerOptions = {
      maxHeaderSize: options.maxHeaderBytes,
      headersTimeout: options.headersTimeout,
      requestTimeout: options.requestTimeout,
      keepAliveTimeout: options.keepAliveTimeout,
      // node:http looks for expired heads every 30 s by default; a slow head must go within headersTimeout + 1 s.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(options.headersTimeout / 2))),
      requireHostHeader: true,
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res, false);
    // https: the same server with a TLS handshake first; a WebSocket upgrade on it is wss.
    this.#tls = options.tls === undefined ? undefined : new ServerTls(options.tls, context.baseDirectory, `${context.configPath}.tls`);
    this.#server = createHttpServer(httpOptions, this.#tls, onRequest);
    // No count limit in node:http: readIncoming counts, so the answer is the same 431 on every Node version.
    this.#server.maxHeadersCount = 0;
    this.#server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res, true));
    if (options.maxConnections > 0) this.#server.maxConnections = options.maxConnections;
    if (options.websocket !== undefined) {
      const acceptor = (this.#webSocket = new WsAcceptor(options.websocket, context, options.name));
      this.#server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
        // node:http stops watching an upgraded socket's errors: a reset would be an uncaught 'error'.
        socket.on("error", ignore);
        acceptor.upgrade(req, socket, head);
      });
    }
    this.#server.on("clientError", (error, socket) => this.#onClientError(error as NodeJS.ErrnoException, socket as Socket));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const socket = req.socket;
    // A request pipelined after one this connection refused or closes on is never run.
    if (this.#closing.has(socket)) return;
    const parts = readIncoming(req, this.#options, this.name);
    // Kept now: endpoints may rewrite the request's headers for their upstream.
    const accept = headerText(req.headers.accept);
    const inputs: CodecInputs = { accept, contentType: req.headers["content-type"] };
    const codecs = this.#context.codecs;
    const chooseCodec = (): CodecChoice => chooseCodecs(codecs, inputs);
    if (parts instanceof GatewayError) {
      // The body is not wanted (and 100 Continue was not sent): answer, then close.
      this.#answer(req, res, errorResponse(parts), chooseCodec, true);
      return;
    }
    receiveBody(req, res, parts.length, this.#bodyLimits, expectContinue, (body) => {
      if (body === undefined) return;
      if (body instanceof GatewayError) {
        this.#answer(req, res, errorResponse(body), chooseCodec, true);
        return;
      }
      const client = this.#forwarded(req.headers, parts.peer.address, parts.peer.scheme);
      const request = createRequestEnvelope({
        method: req.method ?? "GET",
        path: parts.path,
        rawQuery: parts.rawQuery,
        headers: req.headers as HeaderMap,
        body,
        peer: client === parts.peer.address ? parts.peer : { ...parts.peer, address: client },
        requestId: parts.requestId,
        trace: parts.trace,
      });
      beginCodecStep(request, inputs);
      // Judged before any filter or endpoint rewrites the headers: a SOAP caller's failures are Faults.
      const soapVersion = soapCallerVersion(req.headers);
      // The request's own choice: an endpoint that needed it has already made it.
      const requestCodecs = () => codecChoice(codecs, request);
      res.on("close", () => {
        if (!res.writableFinished) request.cancellation.cancel(clientClosed);
      });
      // A write that races the caller's reset fails the response; it must not fail the process.
      res.on("error", ignore);
      this.#context.handle(request).then(
        (response) => {
          if (res.destroyed) return;
          this.#answer(req, res, asFaultForSoapCaller(soapVersion, response, codecs.xml), requestCodecs, this.#draining, accept);
        },
        (error: unknown) => {
          // The handler never rejects by contract; this is a last line of defence.
          this.#context.logger.error("handler rejected", { error: String(error) });
          if (!res.headersSent) this.#answer(req, res, errorResponse(error), requestCodecs, true);
          else res.destroy();
        },
      );
    });
  }

  /**
   * Writes a response. When the connection must close, or the caller's body
   * was not read to its end (a refusal, a handler that did not want it), the
   * connection closes after it: with a lingering close while the caller may
   * still be sending, so that it reads the answer instead of a reset.
   */
  #answer(req: IncomingMessage, res: ServerResponse, response: ResponseEnvelope, chooseCodec: () => CodecChoice, close: boolean, accept?: string): void {
    const socket = req.socket;
    if (close || !req.complete) {
      this.#closing.add(socket);
      close = true;
      if (!req.complete) lingerAfterResponse(socket, req);
    }
    writeResponse(res, response, chooseCodec, close, accept);
  }

  /** Parse errors never reach #onRequest; answer them in the same status shape. */
  #onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    socket.on("error", ignore);
    // Already answered or answering (more bytes after a parse error, a refusal's lingering close): let that finish.
    if (this.#closing.has(socket)) return;
    this.#closing.add(socket);
    // node:http's own rule: no raw answer into a response already under way.
    const current = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || error.code === "ECONNRESET" || current?.headersSent === true) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const timedOut = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
    const status = tooLarge ? 431 : timedOut ? 408 : 400;
    const code = tooLarge ? StatusCode.RESOURCE_EXHAUSTED : timedOut ? StatusCode.DEADLINE_EXCEEDED : StatusCode.INVALID_ARGUMENT;
    const message = tooLarge
      ? `request headers exceed ${this.#options.maxHeaderBytes} bytes`
      : timedOut
        ? "the request was not received in time"
        : `malformed HTTP request (${error.code ?? "parse error"})`;
    const body = JSON.stringify({ code, message, details: [] });
    socket.write(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : timedOut ? "Request Timeout" : "Bad Request"}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    // The caller may still be sending the rest of its head or body.
    lingeringClose(socket);
  }

  start(): Promise<void> {
    const server = this.#server as HttpsServer;
    this.#tls?.watch((options) => server.setSecureContext(options), this.#context.logger, this.name);
    return bind(this.#server, this.#options);
  }

  address(): { host: string; port: number } {
    return boundAddress(this.#server, this.#options);
  }

  async close(graceMs: number): Promise<void> {
    this.#tls?.close();
    if (!this.#server.listening) return;
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // Idle keep-alive connections close now; busy ones after their response (sent with Connection: close).
    this.#server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all([closed, this.#webSocket?.close(graceMs)]), deadline]);
    clearTimeout(timer);
    this.#server.closeAllConnections();
    await closed;
  }
}

export const httpListenerFactory: ListenerFactory<HttpListenerOptions> = {
  protocol: "http",
  optionsSchema: httpListenerSchema,
  create: (options, context) => new HttpListener(options, context),
};
