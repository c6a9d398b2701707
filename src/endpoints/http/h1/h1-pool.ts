import type { ConnectionOptions } from "node:tls";
import { isIP } from "node:net";
import { H1Connection, type ConnectionOwner, type H1Target } from "./h1-connection.js";
import { H1Code, H1Error } from "./h1-error.js";
import type { ExchangeHolder, H1Exchange } from "./h1-exchange.js";

export interface H1PoolOptions {
  readonly connections: number;
  readonly keepAliveTimeout: number;
  readonly connectTimeout: number;
  readonly bodyTimeout: number;
  /** TLS options for https origins (CA, client certificate, servername). */
  readonly tls: ConnectionOptions | undefined;
}

/**
 * The keep-alive connections to one origin: at most `connections` open,
 * idle ones reused newest first (the oldest expire after keepAliveTimeout,
 * so the upstream's own idle timer rarely wins the race), requests queued
 * while every connection is busy.
 */
export class H1Pool implements ConnectionOwner, ExchangeHolder {
  readonly #target: H1Target;
  readonly #max: number;
  readonly #keepAlive: number;
  readonly #idle: H1Connection[] = [];
  readonly #queue: H1Exchange[] = [];
  readonly #sweeper: NodeJS.Timeout;
  #open = 0;
  #closed = false;

  constructor(origin: string, options: H1PoolOptions) {
    const url = new URL(origin);
    const secure = url.protocol === "https:";
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    this.#target = {
      hostname,
      port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
      host: url.host,
      // SNI names a host, never an address (RFC 6066 §3).
      tls: secure ? { ALPNProtocols: ["http/1.1"], ...(isIP(hostname) === 0 ? { servername: hostname } : {}), ...options.tls } : undefined,
      connectTimeout: options.connectTimeout,
      bodyTimeout: options.bodyTimeout,
    };
    this.#max = options.connections;
    this.#keepAlive = options.keepAliveTimeout;
    this.#sweeper = setInterval(() => this.#expire(Date.now()), Math.max(250, Math.floor(options.keepAliveTimeout / 2)));
    this.#sweeper.unref();
  }

  /** Sends `exchange` on an idle connection, a new one, or when one frees up. */
  dispatch(exchange: H1Exchange): void {
    if (this.#closed) {
      exchange.fail(new H1Error(H1Code.POOL_CLOSED, "the service is closing"));
      return;
    }
    const idle = this.#idle;
    while (idle.length > 0) {
      const connection = idle.pop();
      if (connection === undefined || connection.closed) continue;
      if (Date.now() - connection.idleSince >= this.#keepAlive) {
        connection.destroy();
        continue;
      }
      connection.send(exchange);
      return;
    }
    if (this.#open < this.#max) {
      this.#connect().send(exchange);
      return;
    }
    exchange.holder = this;
    this.#queue.push(exchange);
  }

  released(connection: H1Connection): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    const next = this.#queue.shift();
    if (next !== undefined) {
      connection.send(next);
      return;
    }
    connection.idleSince = Date.now();
    this.#idle.push(connection);
  }

  removed(connection: H1Connection, orphan: H1Exchange | undefined): void {
    this.#open--;
    const index = this.#idle.indexOf(connection);
    if (index >= 0) this.#idle.splice(index, 1);
    if (this.#closed) {
      orphan?.fail(new H1Error(H1Code.POOL_CLOSED, "the service is closing"));
      return;
    }
    // The retry of a request a reused connection dropped goes on a connection of its own, never an idle one.
    if (orphan !== undefined) this.#connect().send(orphan);
    else if (this.#queue.length > 0 && this.#open < this.#max) {
      const next = this.#queue.shift();
      if (next !== undefined) this.#connect().send(next);
    }
  }

  // A queued exchange: it only waits.
  pause(): void {}
  resume(): void {}

  abandon(exchange: H1Exchange): void {
    const index = this.#queue.indexOf(exchange);
    if (index >= 0) this.#queue.splice(index, 1);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const error = new H1Error(H1Code.POOL_CLOSED, "the service is closing");
    for (const exchange of this.#queue.splice(0)) exchange.fail(error);
    for (const connection of this.#idle.splice(0)) connection.destroy();
  }

  #connect(): H1Connection {
    this.#open++;
    return new H1Connection(this.#target, this);
  }

  /** Closes connections idle for keepAliveTimeout (the oldest are at the bottom of the stack). */
  #expire(now: number): void {
    const idle = this.#idle;
    let expired = 0;
    while (expired < idle.length && now - (idle[expired]?.idleSince ?? now) >= this.#keepAlive) expired++;
    for (const connection of idle.splice(0, expired)) connection.destroy();
  }
}
