import { BenchConnectError, type BenchConnection, type BenchDone, type BenchTarget } from "./bench-target.js";

/** The wait before an attempt after `failures` attempts in a row brought no answer: none, then 10 ms doubling to 1 s. */
export function redialDelayMs(failures: number): number {
  return failures === 0 ? 0 : Math.min(1000, 10 * 2 ** Math.min(failures - 1, 10));
}

/**
 * One of the engine's connections, kept up whatever the target's own
 * connections do: a send after the current one died (the server closed it, a
 * socket error, a GOAWAY) opens a new one through the target, the same way
 * for every kind of target. Sends made meanwhile wait for that connection; if
 * it cannot be opened they end with the connect's outcome (ECONNREFUSED,
 * timeout), each once. Attempts that bring no answer (a refused connect, or a
 * connection that dies before answering anything) are spaced by a backoff,
 * so a server that is down costs each connection a few failed requests per
 * backoff instead of a loop spinning on failures; an answer resets it.
 */
export class RedialingConnection implements BenchConnection {
  #current: BenchConnection | undefined;
  /** Requests waiting for the next connection, in send order. */
  readonly #waiting: Array<{ readonly sequence: number; readonly done: BenchDone }> = [];
  #answered = false;
  #failures = 0;
  #dialing = false;
  #backoff: NodeJS.Timeout | undefined;
  #closed = false;
  /** How many connections were opened after the first (for tests and the curious). */
  redials = 0;

  constructor(
    private readonly target: BenchTarget,
    first: BenchConnection,
    private readonly timeoutMs: number,
  ) {
    this.#current = first;
  }

  static async open(target: BenchTarget, timeoutMs: number): Promise<RedialingConnection> {
    return new RedialingConnection(target, await target.connect(), timeoutMs);
  }

  get alive(): boolean {
    return !this.#closed;
  }

  /** The engine saw an answer (a reply, even an error status): the server is there, the backoff starts over. */
  answered(): void {
    this.#answered = true;
  }

  send(sequence: number, done: BenchDone): void {
    const current = this.#current;
    if (current?.alive === true) {
      current.send(sequence, done);
      return;
    }
    if (this.#closed) {
      setImmediate(() => done(false, "closed", 0));
      return;
    }
    if (current !== undefined) {
      // It died: right away if it had answered (a server that closes idle or `Connection: close` connections), else after a backoff.
      this.#current = undefined;
      this.#failures = this.#answered ? 0 : this.#failures + 1;
    }
    this.#waiting.push({ sequence, done });
    if (this.#dialing || this.#backoff !== undefined) return;
    const delay = redialDelayMs(this.#failures);
    if (delay === 0) this.#dial();
    else
      this.#backoff = setTimeout(() => {
        this.#backoff = undefined;
        this.#dial();
      }, delay);
  }

  close(): void {
    this.#closed = true;
    if (this.#backoff !== undefined) clearTimeout(this.#backoff);
    this.#backoff = undefined;
    this.#current?.close();
    this.#current = undefined;
    this.#fail("closed");
  }

  #dial(): void {
    if (this.#closed) return;
    this.#dialing = true;
    let settled = false;
    // A connect that hangs (a dropped SYN) is bounded by the request timeout; the connection, if it comes later, is closed.
    const timer = setTimeout(() => settle(undefined, "timeout"), this.timeoutMs);
    const settle = (connection: BenchConnection | undefined, outcome: string) => {
      if (settled) {
        connection?.close();
        return;
      }
      settled = true;
      clearTimeout(timer);
      this.#dialing = false;
      if (connection === undefined || this.#closed) {
        connection?.close();
        this.#failures++;
        this.#fail(outcome);
        return;
      }
      this.redials++;
      this.#current = connection;
      this.#answered = false;
      for (const { sequence, done } of this.#waiting.splice(0)) this.send(sequence, done);
    };
    this.target.connect().then(
      (connection) => settle(connection, "closed"),
      (error: unknown) => settle(undefined, error instanceof BenchConnectError ? error.outcome : "connect failed"),
    );
  }

  /** Ends every waiting request with `outcome`; those the engine sends again from `done` wait for the next attempt. */
  #fail(outcome: string): void {
    for (const { done } of this.#waiting.splice(0)) done(false, outcome, 0);
  }
}
