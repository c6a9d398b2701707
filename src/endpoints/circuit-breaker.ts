import { duration, integer, object, optional, withDefault, type Infer } from "../options/schema.js";
import { fraction } from "./fraction-schema.js";

export const circuitBreakerSchema = object(
  {
    consecutiveFailures: withDefault(integer({ min: 1 }), 5, "failed calls in a row (connect failures, resets, timeouts, 502/503/504, transport UNAVAILABLE) that open the circuit"),
    failureRatio: optional(fraction({ min: 0.01, max: 1 }), 'also open when this share of the calls in `window` failed (e.g. "50%"), once `minimumRequests` were made'),
    minimumRequests: withDefault(integer({ min: 1 }), 20, "calls in the window before failureRatio may open the circuit"),
    window: withDefault(duration({ min: 100 }), 10_000, "the sliding window failureRatio looks at"),
    openFor: withDefault(duration({ min: 1 }), 30_000, "how long an open circuit fails calls fast (503) before letting probes through"),
    halfOpenRequests: withDefault(integer({ min: 1 }), 1, "probe calls let through after openFor; one success closes the circuit, one failure opens it again"),
    maxPending: withDefault(integer({ min: 1 }), 1024, "calls in flight to the service at once; more are answered 503 at once"),
  },
  "circuit breaker",
);

export type CircuitBreakerOptions = Infer<typeof circuitBreakerSchema>;

export type CircuitState = "closed" | "open" | "half-open";

/** What a call says about the upstream: `neutral` (cancelled, a 4xx, a malformed reply) counts neither way. */
export type CallOutcome = "success" | "failure" | "neutral";

/** Returned by `admit` when the circuit refuses the call. */
export const REFUSED = -1;

const bucketCount = 10;

/**
 * One circuit: closed → open after too many failures → half-open after
 * `openFor` (a few probe calls go through) → closed on a probe's success or
 * open again on its failure. `admit` hands out a ticket (a number: the state's
 * generation, doubled, plus one for a probe) that `record` gives back, so an
 * outcome from a call admitted before the last state change is ignored: only
 * probes decide a half-open circuit. Plain numbers, no timers: the state
 * moves on when a call asks.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #state: CircuitState = "closed";
  #generation = 0;
  #failuresInRow = 0;
  #openUntil = 0;
  #probes = 0;
  #opened = 0;
  readonly #bucketMs: number;
  readonly #bucketIds = new Array<number>(bucketCount).fill(-1);
  readonly #totals = new Array<number>(bucketCount).fill(0);
  readonly #failures = new Array<number>(bucketCount).fill(0);

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
    this.#bucketMs = Math.max(1, Math.ceil(options.window / bucketCount));
  }

  /** The state as a caller would find it now (an open circuit past `openFor` reads half-open). */
  state(now = Date.now()): CircuitState {
    return this.#state === "open" && now >= this.#openUntil ? "half-open" : this.#state;
  }

  /** How many times the circuit opened since start. */
  get timesOpened(): number {
    return this.#opened;
  }

  /** Milliseconds until an open circuit lets probes through (0 when it would now). */
  retryAfter(now = Date.now()): number {
    return Math.max(0, this.#openUntil - now);
  }

  /** Whether `admit` would hand out a ticket now, without taking one (the balancer asks this of every candidate). */
  admits(now = Date.now()): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "open") return now >= this.#openUntil;
    return this.#probes < this.#options.halfOpenRequests;
  }

  /** A ticket for `record`, or REFUSED when the circuit is open (or its probes are all out). */
  admit(now = Date.now()): number {
    if (this.#state === "closed") return this.#generation * 2;
    if (this.#state === "open") {
      if (now < this.#openUntil) return REFUSED;
      this.#state = "half-open";
      this.#generation++;
      this.#probes = 0;
    }
    if (this.#probes >= this.#options.halfOpenRequests) return REFUSED;
    this.#probes++;
    return this.#generation * 2 + 1;
  }

  record(ticket: number, outcome: CallOutcome, now = Date.now()): void {
    if (ticket < 0 || ticket >> 1 !== this.#generation) return;
    if (this.#state === "half-open") {
      if (outcome === "failure") this.#open(now);
      else if (outcome === "success") this.#close();
      else this.#probes--;
      return;
    }
    if (this.#state !== "closed" || outcome === "neutral") return;
    const failed = outcome === "failure";
    this.#failuresInRow = failed ? this.#failuresInRow + 1 : 0;
    if (this.#failuresInRow >= this.#options.consecutiveFailures) {
      this.#open(now);
      return;
    }
    const ratio = this.#options.failureRatio;
    if (ratio === undefined) return;
    this.#count(now, failed);
    if (failed && this.#ratioExceeded(now, ratio)) this.#open(now);
  }

  #open(now: number): void {
    this.#state = "open";
    this.#generation++;
    this.#openUntil = now + this.#options.openFor;
    this.#opened++;
  }

  #close(): void {
    this.#state = "closed";
    this.#generation++;
    this.#failuresInRow = 0;
    this.#bucketIds.fill(-1);
  }

  #count(now: number, failed: boolean): void {
    const id = Math.floor(now / this.#bucketMs);
    const slot = id % bucketCount;
    if (this.#bucketIds[slot] !== id) {
      this.#bucketIds[slot] = id;
      this.#totals[slot] = 0;
      this.#failures[slot] = 0;
    }
    this.#totals[slot]!++;
    if (failed) this.#failures[slot]!++;
  }

  #ratioExceeded(now: number, ratio: number): boolean {
    const oldest = Math.floor(now / this.#bucketMs) - bucketCount;
    let total = 0;
    let failed = 0;
    for (let slot = 0; slot < bucketCount; slot++) {
      if (this.#bucketIds[slot]! <= oldest) continue;
      total += this.#totals[slot]!;
      failed += this.#failures[slot]!;
    }
    return total >= this.#options.minimumRequests && failed / total >= ratio;
  }
}

/** `circuitBreaker`, the same on every service kind. */
export const circuitBreakerField = optional(circuitBreakerSchema, "circuit breakers for the service and each target, and a bound on calls in flight (unset: none)");
