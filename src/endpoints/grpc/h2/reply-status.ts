import { codeFromHttpStatus } from "../../../core/http-status.js";
import { StatusCode } from "../../../core/status-code.js";
import type { CallStatus } from "../grpc-calls.js";
import { field } from "./response-metadata.js";

/**
 * Why a reply's first header block (one that is not trailers-only) does not
 * open a gRPC message stream, or undefined when it does: HTTP 200 and an
 * application/grpc content-type. Shared by the unary and server-streaming calls.
 */
export function headFailure(fields: readonly string[]): CallStatus | undefined {
  const status = Number(field(fields, ":status"));
  if (status !== 200) return { code: codeFromHttpStatus(status), details: `upstream answered HTTP ${status}`, transport: status === 502 || status === 503 || status === 504 };
  const contentType = field(fields, "content-type");
  if (contentType === undefined || !contentType.startsWith("application/grpc")) return malformed(`its content-type is ${String(contentType)}, not application/grpc`);
  return undefined;
}

/** The grpc-status of a closing header block (trailers, or a trailers-only head) as a code, or the malformed status saying why it is none. */
export function trailerCode(fields: readonly string[]): number | CallStatus {
  const status = field(fields, "grpc-status");
  if (status === undefined) return malformed("the trailers carry no grpc-status");
  const code = Number(status);
  if (!/^\d{1,2}$/.test(status) || code > 16) return malformed(`grpc-status ${JSON.stringify(status)} is not a status code`);
  return code;
}

/** The reply broke the gRPC protocol: 502 naming the problem, not a status the upstream chose. */
export function malformed(problem: string): CallStatus {
  return { code: StatusCode.INTERNAL, details: problem, malformed: true };
}

/** grpc-message is percent-encoded. */
export function decodeGrpcMessage(value: string | undefined): string {
  if (value === undefined) return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The one length-prefixed message of a unary response, or a reason it is malformed. */
export function parseSingleMessage(body: Buffer | undefined): Buffer | string {
  if (body === undefined || body.byteLength < 5) return body === undefined ? "no response message" : "a truncated gRPC frame";
  if (body[0] === 1) return "a compressed message, which was not negotiated";
  if (body[0] !== 0) return `a frame whose compressed flag is ${body[0]} (0 or 1 allowed)`;
  const length = body.readUInt32BE(1);
  if (body.byteLength !== 5 + length)
    return body.byteLength < 5 + length ? `a frame whose length prefix (${length} bytes) runs past the end of the reply` : "more than one response message in a unary call";
  return body.subarray(5);
}
