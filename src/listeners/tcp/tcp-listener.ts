import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { closeFailedHandshakes, ServerTls } from "../../tls/server-tls.js";
import { bind, boundAddress } from "../bind.js";
import type { Listener, ListenerContext, ListenerFactory } from "../listener.js";
import { drainConnections } from "../drain.js";
import { TcpConnection } from "./tcp-connection.js";
import { tcpListenerSchema, type TcpListenerOptions } from "./tcp-options.js";

/** Frames on raw TCP: NDJSON or length-prefixed, many calls in flight per connection. */
class TcpListener implements Listener {
  readonly protocol = "tcp";
  readonly name: string;
  readonly #options: TcpListenerOptions;
  readonly #server: Server;
  readonly #connections = new Set<TcpConnection>();
  readonly #handshaking = new Set<Socket>();
  readonly #context: ListenerContext;
  readonly #tls: ServerTls | undefined;

  constructor(options: TcpListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.name = options.name;
    this.#options = options;
    const format = context.frameFormats.get(options.codec).create(context.codecs, options);
    const accept = (socket: Socket) => {
      const connection = new TcpConnection(socket, format, options, context);
      this.#connections.add(connection);
      socket.once("close", () => this.#connections.delete(connection));
    };
    this.#context = context;
    this.#tls = options.tls === undefined ? undefined : new ServerTls(options.tls, context.baseDirectory, `${context.configPath}.tls`);
    // Half-open: a caller's FIN ends its input, not our replies (TcpConnection closes once they are written).
    if (this.#tls === undefined) {
      this.#server = createServer({ allowHalfOpen: true }, accept);
    } else {
      // Frames start after the handshake; a caller still handshaking at shutdown has no call to finish.
      const server = createTlsServer({ allowHalfOpen: true, ...this.#tls.serverOptions() }, accept);
      closeFailedHandshakes(server);
      this.#server = server;
      this.#server.on("connection", (socket: Socket) => {
        this.#handshaking.add(socket);
        socket.once("close", () => this.#handshaking.delete(socket));
      });
      this.#server.on("secureConnection", (socket: Socket) => this.#handshaking.delete((socket as Socket & { _parent?: Socket })._parent ?? socket));
    }
    if (options.maxConnections > 0) this.#server.maxConnections = options.maxConnections;
  }

  start(): Promise<void> {
    const server = this.#server as TlsServer;
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
    for (const socket of this.#handshaking) socket.destroy();
    await drainConnections(this.#connections, graceMs);
    await closed;
  }
}

export const tcpListenerFactory: ListenerFactory<TcpListenerOptions> = {
  protocol: "tcp",
  optionsSchema: tcpListenerSchema,
  create: (options, context) => new TcpListener(options, context),
};
