import { StatusCode } from "./status-code.js";

/**
 * The one gRPC code → HTTP status table, the same as grpc-gateway and Envoy's
 * transcoder use (google/rpc/code.proto documents the HTTP mapping).
 */
const httpStatusByCode: Readonly<Record<StatusCode, number>> = {
  [StatusCode.OK]: 200,
  [StatusCode.CANCELLED]: 499,
  [StatusCode.UNKNOWN]: 500,
  [StatusCode.INVALID_ARGUMENT]: 400,
  [StatusCode.DEADLINE_EXCEEDED]: 504,
  [StatusCode.NOT_FOUND]: 404,
  [StatusCode.ALREADY_EXISTS]: 409,
  [StatusCode.PERMISSION_DENIED]: 403,
  [StatusCode.RESOURCE_EXHAUSTED]: 429,
  [StatusCode.FAILED_PRECONDITION]: 400,
  [StatusCode.ABORTED]: 409,
  [StatusCode.OUT_OF_RANGE]: 400,
  [StatusCode.UNIMPLEMENTED]: 501,
  [StatusCode.INTERNAL]: 500,
  [StatusCode.UNAVAILABLE]: 503,
  [StatusCode.DATA_LOSS]: 500,
  [StatusCode.UNAUTHENTICATED]: 401,
};

export function httpStatusFromCode(code: StatusCode): number {
  return httpStatusByCode[code];
}

/**
 * The reverse direction, for protocols that must report an HTTP upstream's
 * status as a code. Follows the gRPC "HTTP to gRPC status code mapping" doc,
 * extended with the statuses the forward table produces so that the two
 * tables round-trip where they can.
 */
export function codeFromHttpStatus(status: number): StatusCode {
  if (status >= 200 && status < 300) return StatusCode.OK;
  switch (status) {
    case 400: return StatusCode.INVALID_ARGUMENT;
    case 401: return StatusCode.UNAUTHENTICATED;
    case 403: return StatusCode.PERMISSION_DENIED;
    case 404: return StatusCode.NOT_FOUND;
    case 405: return StatusCode.UNIMPLEMENTED;
    case 409: return StatusCode.ABORTED;
    case 412: return StatusCode.FAILED_PRECONDITION;
    case 413: return StatusCode.RESOURCE_EXHAUSTED;
    case 429: return StatusCode.RESOURCE_EXHAUSTED;
    case 431: return StatusCode.RESOURCE_EXHAUSTED;
    case 499: return StatusCode.CANCELLED;
    case 501: return StatusCode.UNIMPLEMENTED;
    case 502: case 503: return StatusCode.UNAVAILABLE;
    case 504: return StatusCode.DEADLINE_EXCEEDED;
    default: return status >= 500 ? StatusCode.INTERNAL : StatusCode.UNKNOWN;
  }
}
