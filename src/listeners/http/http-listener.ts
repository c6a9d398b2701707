import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createRequestEnvelope } from "../../core/request.js";
import { headerText, mediaType, type HeaderMap } from "../../core/envelope.js";
import { errorResponse } from "../../core/error-response.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { bind, boundAddress } from "../bind.js";
import type { Listener, ListenerContext, ListenerFactory } from "../listener.js";
import { createForwardedHeaders } from "./forwarded-headers.js";
import { httpListenerSchema, type HttpListenerOptions } from "./http-options.js";
import { readIncoming } from "./incoming-request.js";
import { writeResponse } from "./write-response.js";
import { WsAcceptor } from "../ws/ws-acceptor.js";

const clientClosed = new GatewayError(StatusCode.CANCELLED, "the caller closed the connection");

class HttpListener implements Listener {
  readonly protocol = "http";
  readonly name: string;
  readonly #options: HttpListenerOptions;
  readonly #context: ListenerContext;
  readonly #server: Server;
  readonly #forwarded: ReturnType<typeof createForwardedHeaders>;
  readonly #webSocket: WsAcceptor | undefined;
  #draining = false;

  constructor(options: HttpListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.name = options.name;
    this.#options = options;
    this.#context = context;
    this.#forwarded = createForwardedHeaders(options.trustedProxies);
    this.#server = createServer(
      {
        maxHeaderSize: options.maxHeaderBytes,
        headersTimeout: options.headersTimeout,
        requestTimeout: options.requestTimeout,
        keepAliveTimeout: options.keepAliveTimeout,
        requireHostHeader: true,
      },
      (req, res) => this.#onRequest(req, res),
    );
    // One above the limit, so that a request over it is seen and answered with 431.
    this.#server.maxHeadersCount = options.maxHeaderCount + 1;
    if (options.maxConnections > 0) this.#server.maxConnections = options.maxConnections;
    if (options.websocket !== undefined) {
      const acceptor = (this.#webSocket = new WsAcceptor(options.websocket, context, options.name));
      this.#server.on("upgrade", (req, socket, head) => acceptor.upgrade(req, socket, head));
    }
    this.#server.on("clientError", (error, socket) => this.#onClientError(error as NodeJS.ErrnoException, socket as Socket));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const parts = readIncoming(req, this.#options, this.name);
    // Kept now: endpoints may rewrite the request's headers for their upstream.
    const accept = headerText(req.headers.accept);
    const contentType = req.headers["content-type"];
    const chooseCodec = () => this.#context.codecs.negotiate(accept, mediaType(contentType));
    if (parts instanceof GatewayError) {
      // The body was not read: close the connection rather than drain an unwanted upload.
      writeResponse(res, errorResponse(parts), chooseCodec, true);
      return;
    }
    this.#forwarded(req.headers, parts.peer.address, parts.peer.scheme);
    const request = createRequestEnvelope({
      method: req.method ?? "GET",
      path: parts.path,
      rawQuery: parts.rawQuery,
      headers: req.headers as HeaderMap,
      body: parts.body,
      peer: parts.peer,
      requestId: parts.requestId,
      trace: parts.trace,
    });
    res.on("close", () => {
      if (!res.writableFinished) request.cancellation.cancel(clientClosed);
    });
    this.#context.handle(request).then(
      (response) => {
        if (res.destroyed) return;
        writeResponse(res, response, chooseCodec, this.#draining, accept);
      },
      (error: unknown) => {
        // The handler never rejects by contract; this is a last line of defence.
        this.#context.logger.error("handler rejected", { error: String(error) });
        if (!res.headersSent) writeResponse(res, errorResponse(error), chooseCodec, true);
        else res.destroy();
      },
    );
  }

  /** Parse errors never reach #onRequest; answer them in the same status shape. */
  #onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const timedOut = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
    const status = tooLarge ? 431 : timedOut ? 408 : 400;
    const code = tooLarge ? StatusCode.RESOURCE_EXHAUSTED : timedOut ? StatusCode.DEADLINE_EXCEEDED : StatusCode.INVALID_ARGUMENT;
    const message = tooLarge
      ? `request headers exceed ${this.#options.maxHeaderBytes} bytes`
      : timedOut ? "the request was not received in time" : `malformed HTTP request (${error.code ?? "parse error"})`;
    const body = JSON.stringify({ code, message, details: [] });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : timedOut ? "Request Timeout" : "Bad Request"}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  start(): Promise<void> {
    return bind(this.#server, this.#options);
  }

  address(): { host: string; port: number } {
    return boundAddress(this.#server, this.#options);
  }

  async close(graceMs: number): Promise<void> {
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
