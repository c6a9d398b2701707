import { createConnection, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import type { ClientTls } from "../../tls/client-tls.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { FrameFormat } from "../../frames/frame-format.js";
import type { TcpServiceOptions, TcpTarget } from "./tcp-options.js";
import { UpstreamConnection, type ConnectionSettings } from "./upstream-connection.js";

/**
 * The persistent connections to one target. Connections open on demand up
 * to `connections`; a failed connect starts a backoff (doubling up to
 * maxReconnectDelay) during which calls fail fast with 503 rather than
 * hammering a target that is down. With order correlation a connection
 * serves one call at a time and callers queue for the next free one.
 */
export class TargetPool {
  readonly target: TcpTarget;
  readonly #options: TcpServiceOptions;
  readonly #settings: ConnectionSettings;
  readonly #byId: boolean;
  readonly #where: string;
  readonly #open: UpstreamConnection[] = [];
  readonly #idle: UpstreamConnection[] = [];
  readonly #waiters: Array<{ resolve(connection: UpstreamConnection): void; reject(error: GatewayError): void }> = [];
  #connecting = 0;
  #failures = 0;
  #retryAt = 0;
  #lastError = "";
  #closed = false;
  readonly #tls: ClientTls | undefined;

  constructor(target: TcpTarget, options: TcpServiceOptions, format: FrameFormat, service: string, tls: ClientTls | undefined) {
    this.target = target;
    this.#tls = tls;
    this.#options = options;
    this.#byId = options.correlation === "id" && options.framing !== "line";
    this.#where = `upstream "${service}" (${target.label})`;
    this.#settings = { format, framing: options.framing, byId: this.#byId, maxFrameBytes: options.maxFrameBytes, where: this.#where };
  }

  /** A connection to send one call on; with order correlation, give it back with `release`. */
  async acquire(): Promise<UpstreamConnection> {
    if (this.#closed) throw new GatewayError(StatusCode.UNAVAILABLE, `${this.#where} is shutting down`);
    if (this.#byId) {
      // An idle connection, else a new one while the pool has room, else the least busy.
      const least = this.#leastBusy();
      if (least !== undefined && (least.inFlight === 0 || this.#open.length + this.#connecting >= this.#options.connections)) return least;
      return this.#connect();
    }
    let idle = this.#idle.pop();
    while (idle?.closed === true) idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#open.length + this.#connecting < this.#options.connections) return this.#connect();
    if (this.#waiters.length >= this.#options.maxPending) throw new GatewayError(StatusCode.UNAVAILABLE, `${this.#where}: ${this.#options.maxPending} calls are already waiting for a connection`);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  release(connection: UpstreamConnection): void {
    if (this.#byId || connection.closed) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(connection);
    else this.#idle.push(connection);
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#open) connection.close();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new GatewayError(StatusCode.UNAVAILABLE, `${this.#where} is shutting down`));
  }

  #leastBusy(): UpstreamConnection | undefined {
    let best: UpstreamConnection | undefined;
    for (const connection of this.#open) if (!connection.closed && (best === undefined || connection.inFlight < best.inFlight)) best = connection;
    return best;
  }

  async #connect(): Promise<UpstreamConnection> {
    const wait = this.#retryAt - Date.now();
    if (wait > 0) throw new GatewayError(StatusCode.UNAVAILABLE, `${this.#where} is unreachable (${this.#lastError}); reconnecting in ${wait}ms`);
    this.#connecting++;
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const { host, port } = this.target;
        const tls = this.#tls;
        // With tls, the connection is ready when the handshake (and the check of the upstream's certificate) is done.
        const socket = tls === undefined ? createConnection({ host, port }) : connectTls({ host, port, ...tls.connectOptions, servername: tls.serverName ?? (isIP(host) === 0 ? host : undefined) });
        const timer = setTimeout(() => socket.destroy(Object.assign(new Error("connect timeout"), { code: "ETIMEDOUT" })), this.#options.connectTimeout);
        const failed = (error: Error) => {
          clearTimeout(timer);
          reject(error);
        };
        socket.once(tls === undefined ? "connect" : "secureConnect", () => {
          clearTimeout(timer);
          socket.removeListener("error", failed);
          resolve(socket);
        });
        socket.once("error", failed);
      });
      this.#failures = 0;
      const connection: UpstreamConnection = new UpstreamConnection(socket, this.#settings, () => this.#forget(connection));
      this.#open.push(connection);
      return connection;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.#failures++;
      this.#lastError = code;
      this.#retryAt = Date.now() + Math.min(this.#options.reconnectDelay * 2 ** (this.#failures - 1), this.#options.maxReconnectDelay);
      const what =
        code === "ECONNREFUSED"
          ? "refused the connection"
          : code === "ETIMEDOUT"
            ? `did not accept a connection within ${this.#options.connectTimeout}ms`
            : this.#tls !== undefined && !code.startsWith("E")
              ? `failed the TLS handshake (${code}: ${(error as Error).message})`
              : `could not be reached (${code})`;
      throw new GatewayError(StatusCode.UNAVAILABLE, `${this.#where} ${what}`, { cause: error });
    } finally {
      this.#connecting--;
    }
  }

  #forget(connection: UpstreamConnection): void {
    const open = this.#open.indexOf(connection);
    if (open >= 0) this.#open.splice(open, 1);
    const idle = this.#idle.indexOf(connection);
    if (idle >= 0) this.#idle.splice(idle, 1);
    // A waiter whose connection went away gets a fresh one, if one may be opened.
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) this.#connect().then(waiter.resolve, waiter.reject);
  }
}
