import type { Socket } from "node:net";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { Frame } from "../../frames/frame.js";
import type { FrameFormat } from "../../frames/frame-format.js";
import { FrameReader, frameOnStream, type Framing } from "../../frames/stream-framing.js";
import { malformedReply } from "../malformed-reply.js";

/** What every connection of one target shares, fixed when the pool is built. */
export interface ConnectionSettings {
  readonly format: FrameFormat;
  readonly framing: Framing;
  /** Replies matched by the id they echo (id correlation), else by order. */
  readonly byId: boolean;
  readonly maxFrameBytes: number;
  /** `upstream "name" (target)`, for errors. */
  readonly where: string;
}

interface Pending {
  resolve(frame: Frame): void;
  reject(error: GatewayError): void;
}

/**
 * One persistent connection to a framed TCP upstream. With id correlation
 * many calls share it, each reply matched by the id it echoes (a late reply
 * to a call that timed out is dropped); with order correlation one call at a
 * time, and a call that times out closes the connection, since its late
 * reply would be taken for the next call's.
 */
export class UpstreamConnection {
  readonly #socket: Socket;
  readonly #format: FrameFormat;
  readonly #framing: Framing;
  readonly #byId: boolean;
  readonly #reader: FrameReader;
  readonly #pending = new Map<string, Pending>();
  readonly #where: string;
  #nextId = 0;
  #closed = false;

  constructor(socket: Socket, settings: ConnectionSettings, onClose: () => void) {
    const { where } = settings;
    this.#socket = socket;
    this.#format = settings.format;
    this.#framing = settings.framing;
    this.#byId = settings.byId;
    this.#where = where;
    this.#reader = new FrameReader(settings.framing, settings.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.#closed = true;
      this.#failAll(new GatewayError(StatusCode.UNAVAILABLE, `${where} closed the connection before replying`));
      onClose();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends the request frame (under a connection-local id) and resolves with the reply frame. */
  call(frame: Frame, timeoutMs: number, onCancel: (callback: (reason: Error) => void) => () => void): Promise<Frame> {
    const id = String(++this.#nextId);
    if (this.#closed) return Promise.reject(new GatewayError(StatusCode.UNAVAILABLE, `${this.#where} closed the connection before replying`));
    return new Promise<Frame>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        this.#pending.delete(id);
      };
      const fail = (error: GatewayError, dropConnection: boolean) => {
        if (!this.#pending.has(id)) return;
        finish();
        reject(error);
        if (dropConnection) {
          if (this.#byId) this.#trySend({ id, headers: {}, cancel: true });
          else this.#socket.destroy();
        }
      };
      const timer = setTimeout(() => fail(new GatewayError(StatusCode.DEADLINE_EXCEEDED, `${this.#where} did not reply within ${timeoutMs}ms`), true), timeoutMs);
      const unsubscribe = onCancel((reason) => fail(GatewayError.from(reason), true));
      this.#pending.set(id, {
        resolve: (reply) => {
          finish();
          resolve(reply);
        },
        reject: (error) => fail(error, false),
      });
      let bytes: Uint8Array;
      try {
        bytes = this.#format.encode({ ...frame, id });
      } catch (error) {
        fail(new GatewayError(StatusCode.INVALID_ARGUMENT, `the request cannot be sent to ${this.#where}: ${(error as Error).message}`), false);
        return;
      }
      this.#socket.write(frameOnStream(this.#framing, bytes));
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #trySend(frame: Frame): void {
    if (!this.#closed) this.#socket.write(frameOnStream(this.#framing, this.#format.encode(frame)));
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      this.#drop(malformedReply(this.#where, `a reply the gateway cannot read: ${(error as Error).message}`, error));
      return;
    }
    for (const bytes of frames) {
      try {
        const decoded = this.#format.decode(bytes);
        if (decoded instanceof Promise)
          decoded.then(
            (frame) => this.#onFrame(frame),
            (error: unknown) => this.#onBadFrame(error),
          );
        else this.#onFrame(decoded);
      } catch (error) {
        this.#onBadFrame(error);
      }
    }
  }

  #onFrame(frame: Frame): void {
    // Stream data frames carry no status; a unary upstream call waits for the final one.
    if (frame.status === undefined && this.#byId) return;
    const pending = this.#byId ? this.#pending.get(frame.id) : this.#pending.values().next().value;
    // A reply is final: an informational status would reach the caller as a reply that never ends.
    if (frame.status !== undefined && frame.status < 200) pending?.reject(malformedReply(this.#where, `status ${frame.status} is not a final status`));
    else pending?.resolve(frame);
  }

  /** A reply that does not decode: with ids it cannot be matched, so the connection is dropped and its calls fail. */
  #onBadFrame(error: unknown): void {
    this.#drop(malformedReply(this.#where, `a reply frame that does not decode: ${(error as Error).message}`, error));
  }

  /** Closed at once, not at the socket's later 'close': no new call may pick this connection in between. */
  #drop(error: GatewayError): void {
    this.#closed = true;
    this.#failAll(error);
    this.#socket.destroy();
  }

  #failAll(error: GatewayError): void {
    for (const pending of [...this.#pending.values()]) pending.reject(error);
  }
}
