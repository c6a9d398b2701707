import type { WebSocket, RawData } from "ws";
import type { Peer } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { Frame } from "../../frames/frame.js";
import type { FrameFormat } from "../../frames/frame-format.js";
import { FrameSession, type FrameSink } from "../frame-session.js";
import type { DrainableConnection } from "../drain.js";
import type { ListenerContext } from "../listener.js";
import type { WebSocketOptions } from "./ws-options.js";

const callerLeft = new GatewayError(StatusCode.CANCELLED, "the caller closed the WebSocket");

/** Close codes (RFC 6455 §7.4.1). */
const POLICY_VIOLATION = 1008;
const GOING_AWAY = 1001;

/**
 * One WebSocket: each message is one frame. Sends are counted until the
 * socket has written them, so a caller that does not read first pauses its
 * server streams (highWaterBytes) and then, past maxBufferedBytes, is cut off;
 * a ping per interval that is not answered within pingTimeout reaps the
 * connection, so a dead peer is gone within pingInterval + pingTimeout.
 */
export class WsConnection implements FrameSink, DrainableConnection {
  readonly #socket: WebSocket;
  readonly #format: FrameFormat;
  readonly #options: WebSocketOptions;
  readonly #session: FrameSession;
  readonly #ping: NodeJS.Timeout;
  /** Set while a ping waits for its pong. */
  #pongDue: NodeJS.Timeout | undefined;
  #unsent = 0;
  #lastActivity = Date.now();
  #waiters: Array<() => void> = [];

  constructor(socket: WebSocket, format: FrameFormat, peer: Peer, options: WebSocketOptions, context: ListenerContext) {
    this.#socket = socket;
    this.#format = format;
    this.#options = options;
    this.#session = new FrameSession(context, format, this, peer, options);
    socket.on("message", (data: RawData) => {
      this.#lastActivity = Date.now();
      this.#session.receive(toBuffer(data));
    });
    socket.on("pong", () => {
      clearTimeout(this.#pongDue);
      this.#pongDue = undefined;
    });
    socket.on("error", () => socket.terminate());
    socket.on("close", () => this.#closed());
    this.#ping = setInterval(() => this.#heartbeat(), options.pingInterval);
    this.#ping.unref();
  }

  send(frame: Frame): boolean {
    if (this.#socket.readyState !== this.#socket.OPEN) return false;
    const bytes = this.#format.encode(frame);
    this.#lastActivity = Date.now();
    // Checked before adding this frame, so a reply larger than the limit still reaches a caller that reads.
    if (this.#unsent > 0 && this.#unsent + bytes.byteLength > this.#options.maxBufferedBytes) {
      this.#socket.close(POLICY_VIOLATION, "the caller does not read its replies");
      this.#socket.terminate();
      return false;
    }
    this.#unsent += bytes.byteLength;
    this.#socket.send(bytes, { binary: this.#format.binary }, () => {
      this.#unsent -= bytes.byteLength;
      if (this.#unsent < this.#options.highWaterBytes / 2) this.#wake();
    });
    return this.#unsent < this.#options.highWaterBytes;
  }

  drained(): Promise<void> {
    if (this.#unsent < this.#options.highWaterBytes || this.#socket.readyState !== this.#socket.OPEN) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Calls are open; the listener waits for them (bounded) before closing. */
  get busy(): boolean {
    return this.#session.inFlight > 0;
  }

  /** Closes with "going away" (1001). */
  end(): void {
    this.#socket.close(GOING_AWAY, "the gateway is shutting down");
  }

  destroy(): void {
    this.#socket.terminate();
  }

  #heartbeat(): void {
    const idle = this.#options.idleTimeout;
    if (idle > 0 && this.#session.inFlight === 0 && Date.now() - this.#lastActivity > idle) {
      this.#socket.close(GOING_AWAY, "idle");
      return;
    }
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.ping();
    // One deadline per unanswered ping: a later ping does not push it back.
    this.#pongDue ??= setTimeout(() => this.#socket.terminate(), this.#options.pingTimeout).unref();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #closed(): void {
    clearInterval(this.#ping);
    clearTimeout(this.#pongDue);
    this.#session.close(callerLeft);
    this.#wake();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
