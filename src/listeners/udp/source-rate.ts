/**
 * A token bucket per source address: `rate` datagrams per second, bursts up
 * to `rate`. Sources idle for a while are forgotten, and the table has a hard
 * size so spoofed addresses cannot grow it without bound.
 */
export class SourceRate {
  readonly #rate: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  static readonly maxSources = 100_000;

  constructor(rate: number) {
    this.#rate = rate;
  }

  /** Takes one token for `source`; false when it has none left. */
  take(source: string, now = Date.now()): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      if (this.#buckets.size >= SourceRate.maxSources) this.prune(now);
      if (this.#buckets.size >= SourceRate.maxSources) return false;
      bucket = { tokens: this.#rate, at: now };
      this.#buckets.set(source, bucket);
    } else {
      bucket.tokens = Math.min(this.#rate, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Drops sources whose bucket has refilled (they have been quiet for a second or more). */
  prune(now = Date.now()): void {
    for (const [source, bucket] of this.#buckets) if (now - bucket.at >= 1000) this.#buckets.delete(source);
  }
}
