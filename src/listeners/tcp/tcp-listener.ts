import { createServer, type Server } from "node:net";
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

  constructor(options: TcpListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.name = options.name;
    this.#options = options;
    const format = context.frameFormats.get(options.codec).create(context.codecs, options);
    // Half-open: a caller's FIN ends its input, not our replies (TcpConnection closes once they are written).
    this.#server = createServer({ allowHalfOpen: true }, (socket) => {
      const connection = new TcpConnection(socket, format, options, context);
      this.#connections.add(connection);
      socket.once("close", () => this.#connections.delete(connection));
    });
    if (options.maxConnections > 0) this.#server.maxConnections = options.maxConnections;
  }

  start(): Promise<void> {
    return bind(this.#server, this.#options);
  }

  address(): { host: string; port: number } {
    return boundAddress(this.#server, this.#options);
  }

  async close(graceMs: number): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await drainConnections(this.#connections, graceMs);
    await closed;
  }
}

export const tcpListenerFactory: ListenerFactory<TcpListenerOptions> = {
  protocol: "tcp",
  optionsSchema: tcpListenerSchema,
  create: (options, context) => new TcpListener(options, context),
};
