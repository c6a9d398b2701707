/** The outcome of taking one token, in the terms the RateLimit-* headers need. */
export interface BucketDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  /** Milliseconds until one token is there again (0 when allowed). */
  readonly retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
}

/** A bucket of `burst` tokens refilled continuously at `tokensPerMs`. */
export interface BucketShape {
  readonly burst: number;
  readonly tokensPerMs: number;
}

/** Float noise (1 / (1/3600000) is not exactly 3600000) must not add a whole millisecond, nor a second after rounding up. */
const ceil = (milliseconds: number) => Math.ceil(milliseconds - 1e-6);

/** The decision for a bucket that holds `tokens` after its refill; shared by the memory and Redis stores. */
export function decide(shape: BucketShape, tokens: number, allowed: boolean): BucketDecision {
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens)),
    retryAfterMs: allowed ? 0 : ceil((1 - tokens) / shape.tokensPerMs),
    resetMs: ceil((shape.burst - tokens) / shape.tokensPerMs),
  };
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets in this process, at most `maxKeys` of them: a Map kept in
 * least-recently-used order (a hit moves its key to the end), the oldest
 * dropped when a new key would exceed the bound. A dropped bucket that was
 * not yet full comes back full: with a bound well above the number of keys
 * active within one refill time, that never happens to an active caller, and
 * a flood of distinct keys costs at most `maxKeys` entries.
 */
export class MemoryBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #shape: BucketShape;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(shape: BucketShape, maxKeys: number, now: () => number = performance.now.bind(performance)) {
    this.#shape = shape;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string): BucketDecision {
    const { burst, tokensPerMs } = this.#shape;
    const now = this.#now();
    const buckets = this.#buckets;
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      if (buckets.size >= this.#maxKeys) buckets.delete(buckets.keys().next().value as string);
      bucket = { tokens: burst, at: now };
    } else {
      buckets.delete(key);
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * tokensPerMs);
      bucket.at = now;
    }
    buckets.set(key, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return decide(this.#shape, bucket.tokens, allowed);
  }
}
