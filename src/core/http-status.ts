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

/**
 * An HTTP status as a gRPC code, as gRPC's own mapping does for a reply that
 * is not gRPC (doc/http-grpc-status-mapping.md); below 400 is OK.
 */
export function codeFromHttpStatus(status: number): StatusCode {
  if (status < 400) return StatusCode.OK;
  switch (status) {
    case 400:
      return StatusCode.INTERNAL;
    case 401:
      return StatusCode.UNAUTHENTICATED;
    case 403:
      return StatusCode.PERMISSION_DENIED;
    case 404:
      return StatusCode.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return StatusCode.UNAVAILABLE;
    default:
      return StatusCode.UNKNOWN;
  }
}

export function httpStatusFromCode(code: StatusCode): number {
  return httpStatusByCode[code];
}
