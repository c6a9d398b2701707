import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Peer } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { FrameFormat } from "../../frames/frame-format.js";
import type { ListenerContext } from "../listener.js";
import { drainConnections } from "../drain.js";
import { WsConnection } from "./ws-connection.js";
import { peerTlsOf } from "../peer-tls.js";
import type { WebSocketOptions } from "./ws-options.js";

/**
 * Accepts WebSocket upgrades on one path, for a standalone ws listener or an
 * HTTP listener's `websocket` option. ws's own limits are set from ours:
 * maxPayload (100 MiB by default in ws) is the frame limit, and applies to
 * inflated data when compression is on.
 */
export class WsAcceptor {
  readonly #server: WebSocketServer;
  readonly #options: WebSocketOptions;
  readonly #context: ListenerContext;
  readonly #format: FrameFormat;
  readonly #listener: string;
  readonly #connections = new Set<WsConnection>();

  constructor(options: WebSocketOptions, context: ListenerContext, listener: string) {
    this.#options = options;
    this.#context = context;
    this.#listener = listener;
    this.#format = context.frameFormats.get(options.codec).create(context.codecs, options);
    this.#server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: options.compression ? { threshold: 1024, concurrencyLimit: 4 } : false,
    });
  }

  /** Takes over an upgrade request's socket, or answers it with the HTTP error that says why not. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // node:http drops its own 'error' listener from an upgraded socket: a reset while we answer would crash the process.
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "/").split("?")[0];
    if (path !== this.#options.path) {
      refuse(socket, 404, "Not Found", `no WebSocket endpoint at ${path}; it is at ${this.#options.path}`);
      return;
    }
    if (this.#options.maxConnections > 0 && this.#connections.size >= this.#options.maxConnections) {
      refuse(socket, 503, "Service Unavailable", `this listener has ${this.#options.maxConnections} WebSocket connections open`);
      return;
    }
    this.#server.handleUpgrade(req, socket, head, (webSocket) => {
      const tls = peerTlsOf(req.socket);
      const peer: Peer = {
        address: req.socket.remoteAddress ?? "unknown",
        port: req.socket.remotePort ?? 0,
        listener: this.#listener,
        protocol: "ws",
        scheme: tls === undefined ? "http" : "https",
        ...(tls === undefined ? {} : { tls }),
      };
      const connection = new WsConnection(webSocket, this.#format, peer, this.#options, this.#context);
      this.#connections.add(connection);
      webSocket.once("close", () => this.#connections.delete(connection));
    });
  }

  /** Idle connections go now; busy ones when their calls finish or the grace ends. */
  async close(graceMs: number): Promise<void> {
    await drainConnections(this.#connections, graceMs);
    this.#server.close();
  }
}

function refuse(socket: Duplex, status: number, reason: string, message: string): void {
  // node:http no longer watches an upgrade's socket: a caller's reset must not be an uncaught 'error'.
  socket.on("error", () => {});
  const body = JSON.stringify(new GatewayError(status === 404 ? StatusCode.NOT_FOUND : StatusCode.UNAVAILABLE, message).toStatus());
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  // A caller that never closes its side would hold the socket (FIN-WAIT-2) for ever.
  const timer = setTimeout(() => socket.destroy(), refusedLingerMs).unref();
  socket.once("close", () => clearTimeout(timer));
}

/** How long a refused upgrade's socket may stay half-closed, waiting for the caller's FIN. */
const refusedLingerMs = 2_000;
