import { statusShape } from "./body-shape.js";
import { valueBody } from "./body.js";
import type { ResponseEnvelope } from "./envelope.js";
import { GatewayError } from "./gateway-error.js";

/** The response for a failure: the mapped status and a `google.rpc.Status` body the caller's codec encodes, then the error's trailers if it has any. */
export function errorResponse(reason: unknown): ResponseEnvelope {
  const error = GatewayError.from(reason);
  const response: ResponseEnvelope = { status: error.httpStatus, headers: { ...error.metadata }, body: valueBody(error.toStatus(), statusShape), error };
  if (error.trailers !== undefined) response.trailers = { ...error.trailers };
  return response;
}
