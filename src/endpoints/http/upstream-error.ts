import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { malformedReply } from "../malformed-reply.js";
import { H1Code } from "./h1/h1-error.js";

/** Failures that happen before a request reaches the upstream: safe to retry on another target. */
const connectFailures = new Set(["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", H1Code.CONNECT_TIMEOUT, "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

export function isConnectFailure(error: unknown): boolean {
  return connectFailures.has((error as { code?: string } | null)?.code ?? "");
}

/** A connection closed or reset under a request that was (maybe) sent. */
const resets = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", H1Code.CLOSED]);

export function isReset(error: unknown): boolean {
  return resets.has((error as { code?: string } | null)?.code ?? "");
}

/**
 * Maps an undici (or socket) failure to the closed code set, naming the
 * service and target: a closed, refused or reset connection is 503, a reply
 * that breaks HTTP/1.1 is 502 (see malformedReply).
 */
export function upstreamError(error: unknown, service: string, target: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const code = (error as { code?: string } | null)?.code ?? "";
  const where = `upstream "${service}" (${target})`;
  if ((error as Error | null)?.name === "HTTPParserError") {
    // undici's message already names the rule: "Response does not match the HTTP/1.1 protocol (Invalid header value char)".
    return malformedReply(where, (error as Error).message, error);
  }
  switch (code) {
    case H1Code.MALFORMED:
      // Rosetta's client names the rule as undici does ("Response does not match the HTTP/1.1 protocol (…)", "its framing is invalid (…)").
      return malformedReply(where, (error as Error).message, error);
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      // undici reports a Content-Length that is duplicated, combined with Transfer-Encoding or unmet by the body this way.
      return malformedReply(where, "its framing is invalid (Content-Length repeated, combined with Transfer-Encoding, or not matching the body)", error);
    case "UND_ERR_HEADERS_OVERFLOW":
      return malformedReply(where, "its headers are too large", error);
    case "UND_ERR_RES_EXCEEDED_MAX_SIZE":
      return malformedReply(where, "its body is too large", error);
    case "ECONNREFUSED":
      return new GatewayError(StatusCode.UNAVAILABLE, `${where} refused the connection`, { cause: error });
    case "UND_ERR_CONNECT_TIMEOUT":
    case H1Code.CONNECT_TIMEOUT:
      return new GatewayError(StatusCode.UNAVAILABLE, `${where} did not accept a connection in time`, { cause: error });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new GatewayError(StatusCode.UNAVAILABLE, `${where} could not be resolved`, { cause: error });
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
    case H1Code.CLOSED:
    case H1Code.POOL_CLOSED:
      return new GatewayError(StatusCode.UNAVAILABLE, `${where} closed the connection`, { cause: error });
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case H1Code.BODY_TIMEOUT:
      return new GatewayError(StatusCode.DEADLINE_EXCEEDED, `${where} did not answer in time`, { cause: error });
    case "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH":
    case H1Code.REQUEST_LENGTH:
      return new GatewayError(StatusCode.INVALID_ARGUMENT, "the request body does not match its Content-Length", { cause: error });
    case "UND_ERR_ABORTED":
      return new GatewayError(StatusCode.CANCELLED, "the request was cancelled", { cause: error });
    default:
      return new GatewayError(StatusCode.UNAVAILABLE, `${where} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}
