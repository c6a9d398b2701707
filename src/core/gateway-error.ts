import { StatusCode } from "./status-code.js";
import { httpStatusFromCode } from "./http-status.js";

/** One entry of `google.rpc.Status.details`: an `Any` in its JSON form. */
export interface ErrorDetail {
  readonly "@type": string;
  readonly [field: string]: unknown;
}

/** The `google.rpc.Status` shape every protocol writes for an error. */
export interface StatusBody {
  readonly code: StatusCode;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

export interface GatewayErrorOptions {
  readonly details?: readonly ErrorDetail[];
  /** Response metadata (headers) that go with the error, e.g. `allow` on a 405. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Trailers to send after the error body, where the caller's protocol has them and asked for them. */
  readonly trailers?: Readonly<Record<string, string>>;
  /** Overrides the mapped HTTP status where HTTP semantics need a finer one (405, 413, 431). */
  readonly httpStatus?: number;
  readonly cause?: unknown;
}

/**
 * The single error type of Rosetta. Listeners write it in the caller's
 * protocol; endpoints map upstream failures into it.
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly code: StatusCode;
  readonly details: readonly ErrorDetail[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly trailers: Readonly<Record<string, string>> | undefined;
  readonly httpStatus: number;

  constructor(code: StatusCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
    this.metadata = options.metadata ?? {};
    this.trailers = options.trailers;
    this.httpStatus = options.httpStatus ?? httpStatusFromCode(code);
  }

  /** Wraps anything thrown into a GatewayError; unknown failures become INTERNAL without leaking internals. */
  static from(reason: unknown): GatewayError {
    if (reason instanceof GatewayError) return reason;
    if (reason instanceof Error && reason.name === "AbortError") {
      return new GatewayError(StatusCode.CANCELLED, "the request was cancelled", { cause: reason });
    }
    return new GatewayError(StatusCode.INTERNAL, "internal error", { cause: reason });
  }

  toStatus(): StatusBody {
    return { code: this.code, message: this.message, details: this.details };
  }
}
