import type { Cancellation } from "../core/cancellation.js";
import { GatewayError } from "../core/gateway-error.js";
import { codeFromHttpStatus, httpStatusFromCode } from "../core/http-status.js";
import { StatusCode } from "../core/status-code.js";
import { ConfigErrorCode } from "../options/error-codes.js";
import { duration, integer, list, object, optional, refine, string, withDefault, type Infer, type Schema } from "../options/schema.js";
import { fraction } from "./fraction-schema.js";
import { RetryBudget } from "./retry-budget.js";

const codeNames = Object.keys(StatusCode).filter((key) => Number.isNaN(Number(key)));
const words = ["connect-failure", "reset"];

/** One `on` entry: a gRPC code name, an HTTP status, `connect-failure` or `reset`. */
const condition: Schema<string | number> = {
  typeName: "retry condition",
  parse(input, context) {
    if (typeof input === "number" && Number.isInteger(input) && input >= 100 && input <= 599) return input;
    if (typeof input === "string" && /^\d{3}$/.test(input)) return Number(input);
    if (typeof input === "string" && (codeNames.includes(input) || words.includes(input))) return input;
    return context.report(ConfigErrorCode.VALUE, `${JSON.stringify(input)} is not a retry condition: a gRPC code name (UNAVAILABLE, …), an HTTP status (503), connect-failure or reset`);
  },
};

export const retrySchema = refine(
  object(
    {
      attempts: withDefault(integer({ min: 1, max: 10 }), 2, "retries after the first try"),
      on: withDefault(
        list(condition, { minItems: 1 }),
        ["connect-failure", "reset", "UNAVAILABLE"],
        "what is retried: gRPC code names (an HTTP upstream's status is mapped by the standard table: 429/502/503/504 are UNAVAILABLE), HTTP statuses, connect-failure, reset",
      ),
      budget: withDefault(fraction(), 0.2, "retries at most this share of the route's requests over 10s (3 retries may always be in flight)"),
      backoff: withDefault(duration({ min: 1 }), 25, "base of the exponential backoff; each wait is random between 0 and base × 2^retry (full jitter)"),
      maxBackoff: optional(duration({ min: 1 }), "the longest wait between tries (default 10 × backoff)"),
      methods: optional(
        list(string({ pattern: /^(\*|[A-Za-z_][\w./]*)$/, patternHint: 'an HTTP method such as "POST", a gRPC method name, or "*"' }), { minItems: 1 }),
        'which calls may be retried: HTTP methods (default GET, HEAD, OPTIONS, PUT, DELETE) or gRPC methods ("GetShelf", "Bookstore/GetShelf"; default those with idempotency_level IDEMPOTENT or NO_SIDE_EFFECTS); "*" for all',
      ),
    },
    "retry policy",
  ),
  (value, context) => (value.maxBackoff !== undefined && value.maxBackoff < value.backoff ? context.at("maxBackoff").report(ConfigErrorCode.VALUE, "maxBackoff is shorter than backoff") : value),
);

export type RetryOptions = Infer<typeof retrySchema>;

/** What one failed try was, for matching against `on`. */
export interface TryVerdict {
  readonly code: StatusCode;
  /** The upstream's HTTP (or frame) status; for gRPC the code's HTTP status. */
  readonly status: number;
  readonly connectFailure: boolean;
  readonly reset: boolean;
}

export function verdictOfStatus(status: number): TryVerdict {
  return { code: codeFromHttpStatus(status), status, connectFailure: false, reset: false };
}

export function verdictOfCode(code: StatusCode, connectFailure = false, reset = false): TryVerdict {
  return { code, status: httpStatusFromCode(code), connectFailure, reset };
}

/** One call as the retry loop drives it; `R` is a response (tries that answered) of the endpoint. */
export interface RetryableCall<R> {
  /** One try; `retry` counts the tries before it (0 for the first). */
  attempt(retry: number): Promise<R>;
  /** What an answer says: undefined for one never retried (a success). */
  answered(result: R): TryVerdict | undefined;
  /** What a failure says: undefined for one never retried. */
  failed(error: unknown): TryVerdict | undefined;
  /** Drops an answer that is retried (its body is not wanted). */
  discard(result: R): void;
  /** Whether the request can be sent again (a streamed body that was read cannot). */
  replayable(): boolean;
}

const defaultMethods = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * A route's `upstream.retry`, compiled once: the conditions as sets, and the
 * route's own retry budget. `run` drives one call: tries again while the try
 * failed in a listed way, the body can be replayed, the caller is still there,
 * the budget allows and the backoff fits before the call's deadline.
 */
export class RetryPolicy {
  readonly attempts: number;
  readonly #codes: ReadonlySet<StatusCode>;
  readonly #statuses: ReadonlySet<number>;
  readonly #connectFailure: boolean;
  readonly #reset: boolean;
  readonly #backoff: number;
  readonly #maxBackoff: number;
  readonly #methods: ReadonlySet<string> | undefined;
  readonly #budget: RetryBudget;

  constructor(options: RetryOptions) {
    this.attempts = options.attempts;
    this.#codes = new Set(options.on.filter((entry): entry is string => typeof entry === "string" && !words.includes(entry)).map((name) => StatusCode[name as keyof typeof StatusCode]));
    this.#statuses = new Set(options.on.filter((entry): entry is number => typeof entry === "number"));
    this.#connectFailure = options.on.includes("connect-failure");
    this.#reset = options.on.includes("reset");
    this.#backoff = options.backoff;
    this.#maxBackoff = options.maxBackoff ?? options.backoff * 10;
    this.#methods = options.methods === undefined ? undefined : new Set(options.methods);
    this.#budget = new RetryBudget(options.budget);
  }

  /** Whether calls with this HTTP method may be retried (for HTTP and TCP upstreams). */
  allowsHttpMethod(method: string): boolean {
    return this.#methods === undefined ? defaultMethods.has(method) : this.#methods.has("*") || this.#methods.has(method);
  }

  /** Whether calls to this gRPC method may be retried: listed by any of its names, or idempotent by its proto. */
  allowsGrpcMethod(names: readonly string[], idempotent: boolean): boolean {
    if (this.#methods === undefined) return idempotent;
    return this.#methods.has("*") || names.some((name) => this.#methods!.has(name));
  }

  matches(verdict: TryVerdict): boolean {
    return (
      (verdict.connectFailure && this.#connectFailure) || (verdict.reset && this.#reset) || (verdict.code !== StatusCode.OK && this.#codes.has(verdict.code)) || this.#statuses.has(verdict.status)
    );
  }

  /** Full jitter: uniformly random up to the capped exponential. */
  #delay(retry: number): number {
    return Math.random() * Math.min(this.#maxBackoff, this.#backoff * 2 ** retry);
  }

  /** Runs `call` with retries; `endAt` (epoch ms) is the end of the whole call's time. */
  async run<R>(cancellation: Cancellation, endAt: number, call: RetryableCall<R>): Promise<R> {
    const budget = this.#budget;
    budget.request();
    for (let retry = 0; ; retry++) {
      let result: R | undefined;
      let error: unknown;
      let threw = false;
      try {
        result = await call.attempt(retry);
      } catch (caught) {
        error = caught;
        threw = true;
      } finally {
        if (retry > 0) budget.release();
      }
      const verdict = threw ? call.failed(error) : call.answered(result as R);
      const again = verdict !== undefined && retry < this.attempts && this.matches(verdict) && !cancellation.cancelled && call.replayable();
      const delay = again ? this.#delay(retry) : 0;
      if (!again || Date.now() + delay >= endAt || !budget.acquire()) {
        if (threw) throw error;
        return result as R;
      }
      if (!threw) call.discard(result as R);
      if (!(await pause(delay, cancellation))) {
        budget.release();
        throw new GatewayError(StatusCode.CANCELLED, "the request was cancelled");
      }
    }
  }
}

/** Waits `ms`; false when the caller cancelled meanwhile. */
function pause(ms: number, cancellation: Cancellation): Promise<boolean> {
  if (ms < 1 || cancellation.cancelled) return Promise.resolve(!cancellation.cancelled);
  return new Promise((resolve) => {
    const stop = cancellation.onCancel(() => {
      clearTimeout(timer);
      resolve(false);
    });
    const timer = setTimeout(() => {
      stop();
      resolve(true);
    }, ms);
  });
}
