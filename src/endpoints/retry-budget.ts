const bucketCount = 10;

/**
 * Caps retries at a share of requests over a sliding window (Envoy's and
 * Finagle's retry budget), so a failing upstream sees at most (1 + budget)
 * times its normal load instead of (1 + attempts) times: a retry storm
 * cannot grow. `minInFlight` retries may always run, so a quiet route still
 * retries its occasional failure.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #minInFlight: number;
  readonly #bucketMs: number;
  readonly #ids = new Array<number>(bucketCount).fill(-1);
  readonly #requests = new Array<number>(bucketCount).fill(0);
  readonly #retries = new Array<number>(bucketCount).fill(0);
  #inFlight = 0;

  constructor(ratio: number, windowMs = 10_000, minInFlight = 3) {
    this.#ratio = ratio;
    this.#minInFlight = minInFlight;
    this.#bucketMs = Math.max(1, Math.ceil(windowMs / bucketCount));
  }

  /** Counts one request (its first try). */
  request(now = Date.now()): void {
    this.#requests[this.#slot(now)]!++;
  }

  /** Takes one retry from the budget; false when the budget is spent. Give it back with `release` once the retry ends. */
  acquire(now = Date.now()): boolean {
    if (this.#inFlight >= this.#minInFlight) {
      const oldest = Math.floor(now / this.#bucketMs) - bucketCount;
      let requests = 0;
      let retries = 0;
      for (let slot = 0; slot < bucketCount; slot++) {
        if (this.#ids[slot]! <= oldest) continue;
        requests += this.#requests[slot]!;
        retries += this.#retries[slot]!;
      }
      if (retries + 1 > requests * this.#ratio) return false;
    }
    this.#retries[this.#slot(now)]!++;
    this.#inFlight++;
    return true;
  }

  release(): void {
    this.#inFlight--;
  }

  #slot(now: number): number {
    const id = Math.floor(now / this.#bucketMs);
    const slot = id % bucketCount;
    if (this.#ids[slot] !== id) {
      this.#ids[slot] = id;
      this.#requests[slot] = 0;
      this.#retries[slot] = 0;
    }
    return slot;
  }
}
