import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";

/**
 * An upstream that answered with something its protocol does not allow: 502
 * Bad Gateway with code INTERNAL (what gRPC clients report for a protocol
 * violation), never 503 or 429, which invite the caller to retry a request
 * the upstream has already received. The message names the problem.
 *
 * Such a reply does not count towards a target's ejection: the target
 * accepted the connection and answered, and one route's broken handler must
 * not take the target away from every other route. Refused or reset
 * connections and timeouts still do.
 */
export function malformedReply(where: string, problem: string, cause?: unknown): GatewayError {
  return new GatewayError(StatusCode.INTERNAL, `${where} sent a malformed reply: ${problem}`, { httpStatus: 502, cause });
}

/** True for an error made by `malformedReply`. */
export function isMalformedReply(error: unknown): boolean {
  return error instanceof GatewayError && error.httpStatus === 502 && error.code === StatusCode.INTERNAL;
}
