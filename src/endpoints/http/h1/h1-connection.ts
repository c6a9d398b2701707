import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import { H1Code, H1Error } from "./h1-error.js";
import type { ExchangeHolder, H1Exchange } from "./h1-exchange.js";
import { BodyFraming, requestHead } from "./request-head.js";
import { ResponseParser } from "./response-parser.js";
import { StreamedBody } from "./streamed-body.js";

/** Bodies up to this size are copied behind the head into one buffer (one write); larger ones are corked. */
const COPY_LIMIT = 16 * 1024;

export interface H1Target {
  readonly hostname: string;
  readonly port: number;
  /** The Host header value (host[:port] as in the origin). */
  readonly host: string;
  /** TLS options for https targets (servername set); undefined for http. */
  readonly tls: ConnectionOptions | undefined;
  readonly connectTimeout: number;
  /** Longest silence while a reply body streams; 0 disables. */
  readonly bodyTimeout: number;
}

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The exchange ended and the connection may carry another. */
  released(connection: H1Connection): void;
  /** The socket closed; `orphan` is an exchange to send again on a fresh connection. */
  removed(connection: H1Connection, orphan: H1Exchange | undefined): void;
}

/**
 * One keep-alive HTTP/1.1 connection carrying one exchange at a time: the
 * request head and a known body go out in one write, a streamed body follows
 * with backpressure, and the reply is parsed as it arrives. A connection
 * whose reply ended cleanly (keep-alive, body fully read, nothing extra) goes
 * back to the pool; anything else closes it.
 */
export class H1Connection implements ExchangeHolder {
  readonly #socket: Socket;
  readonly #owner: ConnectionOwner;
  readonly #target: H1Target;
  readonly #parser = new ResponseParser();
  #exchange: H1Exchange | undefined;
  #streamed: StreamedBody | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #closed = false;
  #bodyTimer = false;
  #error: Error | undefined;
  /** Replies completed on this connection. */
  #served = 0;
  /** When it last went idle (ms since epoch). */
  idleSince = 0;

  constructor(target: H1Target, owner: ConnectionOwner) {
    this.#target = target;
    this.#owner = owner;
    const socket = target.tls === undefined ? connectTcp({ host: target.hostname, port: target.port }) : connectTls({ ...target.tls, host: target.hostname, port: target.port });
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      socket.destroy(new H1Error(H1Code.CONNECT_TIMEOUT, `no connection within ${target.connectTimeout}ms`));
    }, target.connectTimeout);
    socket.once(target.tls === undefined ? "connect" : "secureConnect", () => this.#onConnect());
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => this.#onEnd());
    socket.on("error", (error: Error) => {
      this.#error ??= error;
    });
    socket.on("close", () => this.#onClose());
    socket.on("timeout", () => this.#onBodyTimeout());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts `exchange` here (at once, or once the connection is open). */
  send(exchange: H1Exchange): void {
    this.#exchange = exchange;
    exchange.holder = this;
    this.#parser.start(exchange, exchange.headOnly);
    if (this.#connected) this.#write(exchange);
  }

  pause(): void {
    this.#socket.pause();
    // Silence while the caller cannot take more is the caller's, not the upstream's.
    if (this.#bodyTimer) this.#socket.setTimeout(0);
  }

  resume(): void {
    this.#socket.resume();
    if (this.#bodyTimer) this.#socket.setTimeout(this.#target.bodyTimeout);
  }

  abandon(exchange: H1Exchange): void {
    if (this.#exchange === exchange) this.destroy();
  }

  destroy(): void {
    if (!this.#closed) this.#socket.destroy();
  }

  #onConnect(): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#connected = true;
    const exchange = this.#exchange;
    if (exchange !== undefined) this.#write(exchange);
  }

  #write(exchange: H1Exchange): void {
    const socket = this.#socket;
    const { method, path, headers, body } = exchange;
    let head: string;
    try {
      const framing = body === null ? BodyFraming.NONE : body instanceof Uint8Array || headers["content-length"] !== undefined ? BodyFraming.LENGTH : BodyFraming.CHUNKED;
      head = requestHead(method, path, this.#target.host, headers, framing);
    } catch (error) {
      // A header that cannot be written: nothing was sent, the connection stays usable.
      this.#exchange = undefined;
      exchange.fail(error as Error);
      this.#owner.released(this);
      return;
    }
    if (body === null) {
      socket.write(head, "latin1");
    } else if (body instanceof Uint8Array) {
      if (body.byteLength <= COPY_LIMIT) {
        const bytes = Buffer.allocUnsafe(head.length + body.byteLength);
        bytes.write(head, 0, "latin1");
        bytes.set(body, head.length);
        socket.write(bytes);
      } else {
        socket.cork();
        socket.write(head, "latin1");
        socket.write(body);
        socket.uncork();
      }
    } else {
      socket.write(head, "latin1");
      const length = headers["content-length"];
      this.#streamed = new StreamedBody(socket, body, length === undefined, Number(length), (error) => {
        this.#streamed = undefined;
        if (error === undefined) return;
        exchange.fail(error);
        this.destroy();
      });
    }
  }

  #onData(chunk: Buffer): void {
    const exchange = this.#exchange;
    if (exchange === undefined) {
      // Bytes nobody asked for: the connection's state is unknown.
      this.destroy();
      return;
    }
    const parser = this.#parser;
    const left = parser.execute(chunk);
    if (typeof left !== "number") {
      exchange.fail(left);
      this.destroy();
      return;
    }
    if (!parser.done) {
      if (!this.#bodyTimer && this.#target.bodyTimeout > 0) {
        this.#bodyTimer = true;
        this.#socket.setTimeout(this.#target.bodyTimeout);
      }
      return;
    }
    this.#exchange = undefined;
    this.#served++;
    if (this.#bodyTimer) {
      this.#bodyTimer = false;
      this.#socket.setTimeout(0);
    }
    if (exchange.holder === this) exchange.holder = undefined;
    if (left > 0 || !parser.keepAlive || this.#streamed !== undefined) {
      this.#streamed?.stop();
      this.destroy();
      return;
    }
    this.#owner.released(this);
  }

  #onBodyTimeout(): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    exchange.fail(new H1Error(H1Code.BODY_TIMEOUT, `the reply body was silent for ${this.#target.bodyTimeout}ms`));
    this.destroy();
  }

  #onEnd(): void {
    const exchange = this.#exchange;
    if (exchange !== undefined && this.#error === undefined) {
      const cut = this.#parser.finish();
      if (cut === undefined) {
        // A reply read until the close is complete.
        this.#exchange = undefined;
        this.#served++;
      } else this.#error = cut;
    }
    this.destroy();
  }

  #onClose(): void {
    this.#closed = true;
    clearTimeout(this.#connectTimer);
    this.#streamed?.stop();
    const exchange = this.#exchange;
    this.#exchange = undefined;
    let orphan: H1Exchange | undefined;
    if (exchange !== undefined && !exchange.ended) {
      // A reused connection the upstream closed as the request went out (its idle timer won the race):
      // nothing was answered, so the request goes once more on a fresh connection.
      if (this.#served > 0 && this.#parser.received === 0 && exchange.replayable && !exchange.retried) {
        exchange.retried = true;
        orphan = exchange;
      } else {
        exchange.fail(this.#error ?? this.#parser.finish() ?? new H1Error(H1Code.CLOSED, "the upstream closed the connection"));
      }
    }
    this.#owner.removed(this, orphan);
  }
}
