import type { BenchDone } from "../bench-target.js";

interface Call {
  readonly done: BenchDone;
  readonly sentAt: number;
  bytes: number;
}

/**
 * The calls in flight on one frame connection, keyed by the frame id this
 * table hands out (a counter in base 36: short, printable, never reused on
 * the connection). Timeouts are swept by one timer per connection rather
 * than a timer per request: calls are kept in send order, so a sweep stops
 * at the first call still within its time.
 */
export class FrameCalls {
  readonly #calls = new Map<string, Call>();
  readonly #timeoutMs: number;
  readonly #sweeper: NodeJS.Timeout;
  #next = 0;
  #closedWith: string | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    // A tenth of the timeout (10 ms–250 ms): a late call is failed within that much of its limit.
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(250, Math.max(10, timeoutMs / 10)));
    this.#sweeper.unref();
  }

  /** False once close() was called: the connection is gone. */
  get alive(): boolean {
    return this.#closedWith === undefined;
  }

  get size(): number {
    return this.#calls.size;
  }

  /**
   * A new call: its id, or undefined when the connection is gone (then
   * `done` has been scheduled with the reason, on a later turn so that an
   * engine sending again from `done` cannot spin).
   */
  open(done: BenchDone): string | undefined {
    if (this.#closedWith !== undefined) {
      const outcome = this.#closedWith;
      setImmediate(() => done(false, outcome, 0));
      return undefined;
    }
    const id = (this.#next++).toString(36);
    this.#calls.set(id, { done, sentAt: Date.now(), bytes: 0 });
    return id;
  }

  /** A frame for `id` arrived (`bytes` long); a status makes it the final one. Unknown ids (late replies of timed-out calls) are ignored. */
  reply(id: string, status: number | undefined, bytes: number): void {
    const call = this.#calls.get(id);
    if (call === undefined) return;
    call.bytes += bytes;
    if (status === undefined) return;
    this.#calls.delete(id);
    call.done(status >= 200 && status < 400, String(status), call.bytes);
  }

  /** The call could not be sent (a send error): it ends now with `outcome`. */
  fail(id: string, outcome: string): void {
    const call = this.#calls.get(id);
    if (call === undefined) return;
    this.#calls.delete(id);
    call.done(false, outcome, call.bytes);
  }

  /** The connection is gone: every call in flight, and every later one, ends with `outcome`. */
  close(outcome: string): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = outcome;
    clearInterval(this.#sweeper);
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) call.done(false, outcome, call.bytes);
  }

  #sweep(): void {
    const limit = Date.now() - this.#timeoutMs;
    for (const [id, call] of this.#calls) {
      if (call.sentAt > limit) break;
      this.#calls.delete(id);
      call.done(false, "timeout", call.bytes);
    }
  }
}

/** The outcome of a socket error: its errno code (ECONNRESET, EPIPE…), else "closed". */
export function socketOutcome(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return typeof code === "string" && code !== "" ? code : "closed";
}
