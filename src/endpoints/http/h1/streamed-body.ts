import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { H1Code, H1Error } from "./h1-error.js";

const lastChunk = Buffer.from("0\r\n\r\n", "latin1");

/**
 * Copies a caller's streamed body onto the upstream socket, with
 * backpressure (the stream pauses while the socket's buffer is full):
 * chunked, or as is when the caller gave a Content-Length, which must then
 * match. `done` runs once, with an error when the body failed or broke its
 * length.
 */
export class StreamedBody {
  readonly #socket: Socket;
  readonly #stream: Readable;
  readonly #chunked: boolean;
  readonly #expected: number;
  readonly #done: (error: Error | undefined) => void;
  #sent = 0;
  #finished = false;

  constructor(socket: Socket, stream: Readable, chunked: boolean, expected: number, done: (error: Error | undefined) => void) {
    this.#socket = socket;
    this.#stream = stream;
    this.#chunked = chunked;
    this.#expected = expected;
    this.#done = done;
    stream.on("data", this.#onData);
    stream.on("end", this.#onEnd);
    stream.on("error", this.#onError);
    socket.on("drain", this.#onDrain);
  }

  /** Stops copying (the exchange ended or was abandoned). */
  stop(): void {
    if (this.#finished) return;
    this.#finish(undefined);
  }

  readonly #onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (bytes.byteLength === 0) return;
    this.#sent += bytes.byteLength;
    if (!this.#chunked && this.#sent > this.#expected) {
      this.#finish(new H1Error(H1Code.REQUEST_LENGTH, "the request body is longer than its Content-Length"));
      return;
    }
    const socket = this.#socket;
    let flushed: boolean;
    if (this.#chunked) {
      socket.cork();
      socket.write(`${bytes.byteLength.toString(16)}\r\n`, "latin1");
      socket.write(bytes);
      flushed = socket.write("\r\n", "latin1");
      socket.uncork();
    } else {
      flushed = socket.write(bytes);
    }
    if (!flushed) this.#stream.pause();
  };

  readonly #onEnd = (): void => {
    if (this.#finished) return;
    if (this.#chunked) this.#socket.write(lastChunk);
    else if (this.#sent !== this.#expected) {
      this.#finish(new H1Error(H1Code.REQUEST_LENGTH, "the request body is shorter than its Content-Length"));
      return;
    }
    this.#finish(undefined);
  };

  readonly #onError = (error: Error): void => {
    if (!this.#finished) this.#finish(error);
  };

  readonly #onDrain = (): void => {
    if (!this.#finished) this.#stream.resume();
  };

  #finish(error: Error | undefined): void {
    this.#finished = true;
    this.#stream.off("data", this.#onData);
    this.#stream.off("end", this.#onEnd);
    this.#socket.off("drain", this.#onDrain);
    // The error listener stays: a stream that fails after we stopped must not crash the process.
    this.#done(error);
  }
}
