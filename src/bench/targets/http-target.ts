import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, TLSSocket } from "node:tls";
import { BenchConnectError, type BenchConnection, type BenchDone, type BenchTarget, type BenchTargetFactory, type BenchTargetSpec } from "../bench-target.js";
import { compileBodyTemplate } from "../body-template.js";
import { HttpResponseReader } from "./http-response-reader.js";

/**
 * The HTTP/1.1 target, written on `net` (and `tls` for https) rather than an
 * HTTP client: the request is rendered once into a Buffer (only a templated
 * body is rendered per request), connections are kept alive, and responses
 * are read by a reader that only finds where each one ends. Pipelining writes
 * up to `pipelining` requests ahead on one connection.
 */
export const httpTargetFactory: BenchTargetFactory = {
  protocol: "http",
  create: async (spec) => new HttpTarget(spec),
};

type Render = (sequence: number) => Buffer;

class HttpTarget implements BenchTarget {
  readonly inFlightPerConnection: number;
  readonly #open: () => Socket;
  readonly #render: Render;
  readonly #timeoutMs: number;
  readonly #headRequest: boolean;
  readonly #connections = new Set<HttpConnection>();

  constructor(spec: BenchTargetSpec) {
    const url = new URL(spec.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`an http target needs an http:// or https:// URL, not ${url.protocol}//`);
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    // Load tests usually aim at local or staging servers with their own certificates; wrk does not check either.
    this.#open = url.protocol === "https:" ? () => tlsConnect({ host, port, servername: host, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }) : () => netConnect({ host, port });
    this.inFlightPerConnection = Math.max(1, Math.floor(spec.pipelining));
    this.#timeoutMs = spec.timeoutMs;
    this.#headRequest = spec.method.toUpperCase() === "HEAD";
    this.#render = renderer(spec, url);
  }

  connect(): Promise<BenchConnection> {
    const connection = new HttpConnection(this.#open, this.#render, this.#timeoutMs, this.#headRequest, this.inFlightPerConnection > 1, this.#connections);
    this.#connections.add(connection);
    return connection.open();
  }

  async close(): Promise<void> {
    for (const connection of this.#connections) connection.close();
  }
}

/** The request as bytes: built once, or once per request around a templated body. */
function renderer(spec: BenchTargetSpec, url: URL): Render {
  const method = spec.method.toUpperCase();
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  const names = new Set(Object.keys(spec.headers).map((name) => name.toLowerCase()));
  if (!names.has("host")) head += `host: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(spec.headers)) {
    if (name.toLowerCase() !== "content-length") head += `${name}: ${value}\r\n`;
  }
  const withBody = spec.body !== "" || method === "POST" || method === "PUT" || method === "PATCH";
  if (!/\{\{/.test(spec.body)) {
    const bytes = Buffer.from(withBody ? `${head}content-length: ${Buffer.byteLength(spec.body)}\r\n\r\n${spec.body}` : `${head}\r\n`);
    return () => bytes;
  }
  const body = compileBodyTemplate(spec.body);
  return (sequence) => {
    const text = body(sequence);
    return Buffer.from(`${head}content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  };
}

class HttpConnection implements BenchConnection {
  #socket: Socket | undefined;
  /** Requests written and not yet answered, oldest first, with when each was written. */
  readonly #waiting: BenchDone[] = [];
  readonly #sentAt: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #reader: HttpResponseReader;

  constructor(
    private readonly openSocket: () => Socket,
    private readonly render: Render,
    private readonly timeoutMs: number,
    headRequest: boolean,
    private readonly cork: boolean,
    private readonly owner: Set<HttpConnection>,
  ) {
    this.#reader = new HttpResponseReader((status, bytes, closes) => this.#answered(status, bytes, closes));
    this.#reader.headRequest = headRequest;
  }

  /** One socket: once it is gone (the server closed it, an error, a `Connection: close` reply) the connection is dead and the engine opens another. */
  open(): Promise<BenchConnection> {
    return new Promise((resolve, reject) => {
      const socket = this.#connect();
      const ready = socket instanceof TLSSocket ? "secureConnect" : "connect";
      const failed = (error: NodeJS.ErrnoException) => reject(new BenchConnectError(`cannot connect: ${error.code ?? error.message}`, error.code ?? "connect failed"));
      socket.once("error", failed);
      socket.once(ready, () => {
        socket.off("error", failed);
        resolve(this);
      });
    });
  }

  get alive(): boolean {
    return this.#socket !== undefined;
  }

  send(sequence: number, done: BenchDone): void {
    const socket = this.#socket;
    if (socket === undefined) {
      setImmediate(() => done(false, "closed", 0));
      return;
    }
    this.#waiting.push(done);
    this.#sentAt.push(performance.now());
    if (this.#timer === undefined) this.#timer = setTimeout(() => this.#checkTimeout(), this.timeoutMs);
    if (this.cork && !socket.writableCorked) {
      socket.cork();
      process.nextTick(() => socket.uncork());
    }
    socket.write(this.render(sequence));
  }

  close(): void {
    this.#closed = true;
    this.owner.delete(this);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#failAll("closed");
  }

  #connect(): Socket {
    const socket = this.openSocket();
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#reader.reset();
    socket.on("data", (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      const problem = this.#reader.feed(chunk);
      if (problem !== undefined) this.#drop(socket, "malformed response");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (this.#socket === socket) this.#drop(socket, error.code ?? "socket error");
    });
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      this.#reader.endOfStream();
      // The server hung up with requests unanswered: what an HTTP client reports as a reset.
      this.#drop(socket, "ECONNRESET");
    });
    return socket;
  }

  #answered(status: number, bytes: number, closes: boolean): void {
    const done = this.#waiting.shift();
    this.#sentAt.shift();
    if (closes && this.#socket !== undefined) {
      // Later requests on this connection are lost; the next send opens a new one.
      const socket = this.#socket;
      this.#socket = undefined;
      this.owner.delete(this);
      socket.end();
      this.#failAll("ECONNRESET");
    }
    if (done !== undefined) done(status < 400, String(status), bytes);
  }

  #drop(socket: Socket, outcome: string): void {
    if (this.#socket === socket) {
      this.#socket = undefined;
      this.owner.delete(this);
    }
    socket.destroy();
    this.#failAll(outcome);
  }

  #failAll(outcome: string): void {
    const waiting = this.#waiting.splice(0);
    this.#sentAt.length = 0;
    for (const done of waiting) done(false, outcome, 0);
  }

  /** One timer per connection, re-armed for the oldest request still waiting. */
  #checkTimeout(): void {
    this.#timer = undefined;
    const oldest = this.#sentAt[0];
    if (oldest === undefined || this.#closed) return;
    const left = oldest + this.timeoutMs - performance.now();
    if (left > 0) {
      this.#timer = setTimeout(() => this.#checkTimeout(), left);
      return;
    }
    // A response that never came leaves the connection out of step: start a new one.
    if (this.#socket !== undefined) this.#drop(this.#socket, "timeout");
    else this.#failAll("timeout");
  }
}
