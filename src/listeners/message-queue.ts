import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";

/**
 * The messages of a client stream as they arrive in frames: the producer
 * pushes, the endpoint iterates. Bounded: a caller that sends faster than
 * the upstream takes fails its own call, never the connection.
 */
export class MessageQueue implements AsyncIterable<unknown> {
  readonly #items: unknown[] = [];
  readonly #limit: number;
  #ended = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** False (and the queue failed) when the caller is more than `limit` messages ahead. */
  push(message: unknown): boolean {
    if (this.#ended || this.#failure !== undefined) return this.#failure === undefined;
    if (this.#items.length >= this.#limit) {
      this.fail(new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `more than ${this.#limit} stream messages are waiting for the upstream; send slower`));
      return false;
    }
    this.#items.push(message);
    this.#signal();
    return true;
  }

  /** The producer has ended the stream (or it failed). */
  get ended(): boolean {
    return this.#ended || this.#failure !== undefined;
  }

  end(): void {
    this.#ended = true;
    this.#signal();
  }

  fail(error: Error): void {
    this.#failure ??= error;
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#items.length > 0) {
        yield this.#items.shift();
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}
