import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { createHttpServer, ServerTls } from "../../tls/server-tls.js";
import { bind, boundAddress } from "../bind.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { Listener, ListenerContext, ListenerFactory } from "../listener.js";
import { WsAcceptor } from "./ws-acceptor.js";
import { wsListenerSchema, type WsListenerOptions } from "./ws-options.js";

/** A port that speaks WebSocket only: plain HTTP requests get 426 Upgrade Required. */
class WsListener implements Listener {
  readonly protocol = "ws";
  readonly name: string;
  readonly #options: WsListenerOptions;
  readonly #server: Server;
  readonly #acceptor: WsAcceptor;
  readonly #context: ListenerContext;
  readonly #tls: ServerTls | undefined;

  constructor(options: WsListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.name = options.name;
    this.#options = options;
    this.#acceptor = new WsAcceptor(options, context, options.name);
    // Node checks these limits every connectionsCheckingInterval (30 s by default): check often enough to honour them.
    const timeout = options.handshakeTimeout;
    const httpOptions = { headersTimeout: timeout, requestTimeout: timeout, connectionsCheckingInterval: Math.min(1000, timeout / 2) };
    const scheme = options.tls === undefined ? "ws" : "wss";
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
      const body = JSON.stringify(new GatewayError(StatusCode.INVALID_ARGUMENT, `this port speaks WebSocket; connect to ${scheme}://…${options.path}`).toStatus());
      res.writeHead(426, { "content-type": "application/json", upgrade: "websocket", connection: "close", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    this.#context = context;
    this.#tls = options.tls === undefined ? undefined : new ServerTls(options.tls, context.baseDirectory, `${context.configPath}.tls`);
    this.#server = createHttpServer(httpOptions, this.#tls, onRequest);
    this.#server.on("upgrade", (req, socket, head) => this.#acceptor.upgrade(req, socket, head));
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
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#acceptor.close(graceMs);
    this.#server.closeAllConnections();
    await closed;
  }
}

export const wsListenerFactory: ListenerFactory<WsListenerOptions> = {
  protocol: "ws",
  optionsSchema: wsListenerSchema,
  create: (options, context) => new WsListener(options, context),
};
