import type { Socket } from "node:net";
import { once } from "node:events";
import type { Peer } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { Frame } from "../../frames/frame.js";
import type { FrameFormat } from "../../frames/frame-format.js";
import { FrameSession, type FrameSink } from "../frame-session.js";
import { FrameReader, FramingError, frameOnStream, type Framing } from "../../frames/stream-framing.js";
import type { DrainableConnection } from "../drain.js";
import type { ListenerContext } from "../listener.js";
import type { TcpListenerOptions } from "./tcp-options.js";
import { peerTlsOf } from "../peer-tls.js";

const callerLeft = new GatewayError(StatusCode.CANCELLED, "the caller closed the connection");
const callerHalfClosed = new GatewayError(StatusCode.CANCELLED, "the caller half-closed the connection before ending this stream");

/** After our FIN, how long a caller has to close its side before the socket is destroyed. */
const lingerMs = 5000;

/**
 * One TCP connection carrying frames. A frame that breaks the framing (over
 * the limit by its prefix, or a line with no end in sight) gets an error
 * frame and the connection is closed, since the stream cannot be re-synced;
 * a frame that is merely malformed gets an error frame and the connection
 * goes on. A caller that half-closes (nc -N, socat, shutdown(SHUT_WR)) gets
 * the replies of every call it made before the connection is closed; the
 * server socket is made with allowHalfOpen for that.
 */
export class TcpConnection implements FrameSink, DrainableConnection {
  readonly #socket: Socket;
  readonly #format: FrameFormat;
  readonly #framing: Framing;
  readonly #reader: FrameReader;
  readonly #session: FrameSession;
  readonly #maxBufferedBytes: number;

  constructor(socket: Socket, format: FrameFormat, options: TcpListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.#socket = socket;
    this.#format = format;
    this.#framing = options.framing as Framing;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#reader = new FrameReader(this.#framing, options.maxFrameBytes);
    const tls = peerTlsOf(socket);
    const peer: Peer = {
      address: socket.remoteAddress ?? "unknown",
      port: socket.remotePort ?? 0,
      listener: options.name,
      protocol: "tcp",
      scheme: tls === undefined ? "http" : "https",
      ...(tls === undefined ? {} : { tls }),
    };
    this.#session = new FrameSession(context, format, this, peer, options);
    socket.setNoDelay(true);
    if (options.idleTimeout > 0)
      socket.setTimeout(options.idleTimeout, () => {
        if (this.#session.inFlight === 0) this.end();
      });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => this.#onEnd());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.#session.close(callerLeft));
  }

  get busy(): boolean {
    return this.#session.inFlight > 0;
  }

  /** Our FIN, once what is written has gone; a caller that never closes its side is cut after lingerMs. */
  end(): void {
    const socket = this.#socket;
    if (socket.destroyed) return;
    socket.end();
    setTimeout(() => socket.destroy(), lingerMs).unref();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  send(frame: Frame): boolean {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) return false;
    const framed = frameOnStream(this.#framing, this.#format.encode(frame));
    // Checked before adding this frame, so a reply larger than the limit still reaches a caller that reads.
    if (socket.writableLength > 0 && socket.writableLength + framed.length > this.#maxBufferedBytes) {
      socket.destroy();
      return false;
    }
    return socket.write(framed);
  }

  async drained(): Promise<void> {
    const socket = this.#socket;
    if (!socket.writableNeedDrain || socket.destroyed) return;
    await Promise.race([once(socket, "drain"), once(socket, "close")]);
  }

  /** The caller's half-close: its calls run to their replies, then the connection closes. */
  #onEnd(): void {
    try {
      for (const frame of this.#reader.finish()) this.#session.receive(frame);
    } catch (error) {
      this.#session.reject(error instanceof FramingError ? new GatewayError(StatusCode.INVALID_ARGUMENT, error.message) : error);
    }
    this.#session.endInput(callerHalfClosed);
    void this.#session.settled().then(() => this.end());
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      // The stream cannot be re-synced: say why, stop reading, and close.
      this.#socket.pause();
      this.#session.reject(new GatewayError(StatusCode.RESOURCE_EXHAUSTED, error.message, { httpStatus: 413 }));
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
      return;
    }
    for (const frame of frames) this.#session.receive(frame);
  }
}
