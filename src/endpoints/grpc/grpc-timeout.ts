import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";

const unitMilliseconds: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/**
 * The caller's `Grpc-Timeout` header (1–8 digits and a unit H M S m u n) in
 * milliseconds; undefined when absent. A malformed value is an error value
 * (400 naming the header, as grpc-gateway answers), not silently ignored:
 * the caller asked for a deadline and would otherwise get another one.
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined | GatewayError {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(", ") : value;
  const match = /^(\d{1,8})([HMSmun])$/.exec(text);
  if (match === null) {
    return new GatewayError(StatusCode.INVALID_ARGUMENT, `invalid Grpc-Timeout header ${JSON.stringify(text)}: expected 1 to 8 digits and a unit (H, M, S, m, u or n), e.g. "500m"`);
  }
  return Number(match[1]) * unitMilliseconds[match[2]!]!;
}
