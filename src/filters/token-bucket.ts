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

const none = -1;

/**
 * Token buckets in this process, at most `maxKeys` of them, in
 * least-recently-used order: a hit moves its slot to the tail of a linked
 * list kept in typed arrays (no allocation, no Map mutation on a hit), and a
 * new key beyond the bound takes the head's slot. A dropped bucket that was
 * not yet full comes back full: with a bound well above the number of keys
 * active within one refill time that never happens to an active caller, and
 * a flood of distinct keys costs at most `maxKeys` slots. Slot arrays grow
 * by doubling up to the bound, so a quiet filter stays small.
 */
export class MemoryBuckets {
  readonly #slots = new Map<string, number>();
  readonly #shape: BucketShape;
  readonly #maxKeys: number;
  readonly #now: () => number;
  #keys: string[] = [];
  #tokens = new Float64Array(0);
  #at = new Float64Array(0);
  #prev = new Int32Array(0);
  #next = new Int32Array(0);
  #head = none;
  #tail = none;

  constructor(shape: BucketShape, maxKeys: number, now: () => number = performance.now.bind(performance)) {
    this.#shape = shape;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  get size(): number {
    return this.#slots.size;
  }

  take(key: string): BucketDecision {
    const { burst, tokensPerMs } = this.#shape;
    const now = this.#now();
    let slot = this.#slots.get(key);
    let tokens: number;
    if (slot === undefined) {
      slot = this.#claim(key);
      tokens = burst;
    } else {
      tokens = Math.min(burst, this.#tokens[slot]! + (now - this.#at[slot]!) * tokensPerMs);
      this.#touch(slot);
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.#tokens[slot] = tokens;
    this.#at[slot] = now;
    return decide(this.#shape, tokens, allowed);
  }

  /** A slot for a new key: a fresh one while below the bound, else the least recently used one's. */
  #claim(key: string): number {
    let slot: number;
    const size = this.#slots.size;
    if (size < this.#maxKeys) {
      if (size === this.#prev.length) this.#grow(Math.min(this.#maxKeys, Math.max(1024, size * 2)));
      slot = size;
      this.#keys.push(key);
    } else {
      slot = this.#head;
      this.#slots.delete(this.#keys[slot]!);
      this.#unlink(slot);
      this.#keys[slot] = key;
    }
    this.#slots.set(key, slot);
    this.#append(slot);
    return slot;
  }

  #touch(slot: number): void {
    if (slot === this.#tail) return;
    this.#unlink(slot);
    this.#append(slot);
  }

  #unlink(slot: number): void {
    const prev = this.#prev[slot]!;
    const next = this.#next[slot]!;
    if (prev === none) this.#head = next;
    else this.#next[prev] = next;
    if (next === none) this.#tail = prev;
    else this.#prev[next] = prev;
  }

  #append(slot: number): void {
    this.#prev[slot] = this.#tail;
    this.#next[slot] = none;
    if (this.#tail === none) this.#head = slot;
    else this.#next[this.#tail] = slot;
    this.#tail = slot;
  }

  #grow(capacity: number): void {
    const grown = <T extends Float64Array | Int32Array>(array: T, make: (length: number) => T): T => {
      const bigger = make(capacity);
      bigger.set(array);
      return bigger;
    };
    this.#tokens = grown(this.#tokens, (length) => new Float64Array(length));
    this.#at = grown(this.#at, (length) => new Float64Array(length));
    this.#prev = grown(this.#prev, (length) => new Int32Array(length));
    this.#next = grown(this.#next, (length) => new Int32Array(length));
  }
}
