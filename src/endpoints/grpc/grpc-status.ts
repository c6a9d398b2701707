import type { Metadata } from "@grpc/grpc-js";
import type { CallStatus } from "./grpc-calls.js";
import type { ErrorDetail } from "../../core/gateway-error.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import type { ProtoRegistry } from "../../protos/proto-registry.js";
import { metadataHeaders } from "./grpc-metadata.js";
import { malformedReply } from "../malformed-reply.js";

/**
 * Statuses grpc-js makes up itself when the upstream's reply breaks the
 * protocol (grpc-js 1.14 wording), and how Rosetta names the problem.
 * A status the upstream really sent never matches: it carries its own code.
 */
const localProtocolFailures: readonly [StatusCode, RegExp, (match: RegExpMatchArray) => string][] = [
  [StatusCode.RESOURCE_EXHAUSTED, /^Received message larger than max \((\d+) vs (\d+)\)$/, (m) => `a reply message of ${m[1]} bytes is over maxReceiveMessageSize (${m[2]} bytes)`],
  [StatusCode.RESOURCE_EXHAUSTED, /^Received message that decompresses to a size larger than (\d+)$/, (m) => `a reply message decompresses to more than maxReceiveMessageSize (${m[1]} bytes)`],
  [StatusCode.INTERNAL, /^(Failed to decompress \w+-encoded message|Received compressed message but "grpc-encoding" header was \w+)$/, (m) => m[1]!],
  [StatusCode.INTERNAL, /^Received RST_STREAM with code 0 \(Call ended without gRPC status\)$/, () => "the call ended without a grpc-status"],
  [StatusCode.UNKNOWN, /^(No status information received|Received HTTP status code 200)$/, () => "the trailers carry no grpc-status"],
  [StatusCode.UNKNOWN, /^Received message compressed with unsupported compression method (.*)$/, (m) => `a reply message is compressed with ${m[1]}, which was not negotiated`],
];

function protocolFailure(status: CallStatus): string | undefined {
  if (status.malformed === true) return status.details ?? "";
  // grpc-js loses the text of a message it cannot read (one compressed without a negotiated grpc-encoding) and gives no code.
  if (typeof status.code !== "number") return "a reply message the gRPC client could not read (such as one compressed without a negotiated grpc-encoding)";
  if (!Number.isInteger(status.code) || status.code < 0 || status.code > 16) return `grpc-status ${Number.isNaN(status.code) ? "" : `${status.code} `}is not a status code (0–16)`;
  for (const [code, pattern, describe] of localProtocolFailures) {
    if (status.code !== code) continue;
    const match = pattern.exec(status.details ?? "");
    if (match !== null) return describe(match);
  }
  return undefined;
}

/**
 * A failed call → GatewayError: the upstream's code and message, details
 * from `grpc-status-details-bin` (a google.rpc.Status whose Any entries are
 * written with their "@type"), header metadata as Grpc-Metadata-* and
 * trailing metadata as Grpc-Trailer-* headers (see withErrorTrailers),
 * and WWW-Authenticate on UNAUTHENTICATED (from metadata, else "Bearer").
 * A reply that broke the protocol (over the receive limit, no grpc-status,
 * a bad frame) is 502 naming the problem instead.
 */
export function errorFromStatus(status: CallStatus, protoJson: ProtoJsonMapping, registry: ProtoRegistry, service: string): GatewayError {
  const problem = protocolFailure(status);
  if (problem !== undefined) return malformedReply(`upstream "${service}"`, problem);
  // Rosetta only asks for an error when its caller did not cancel: grpc-js's "Call cancelled" is then the upstream resetting the stream.
  if (status.code === StatusCode.CANCELLED && status.details === "Call cancelled") {
    return new GatewayError(StatusCode.UNAVAILABLE, `upstream "${service}" reset the call`);
  }
  const code = status.code as StatusCode;
  const headers: Record<string, string> = {};
  const metadata = status.metadata;
  // As on a success: header metadata as Grpc-Metadata-*, trailing metadata as Grpc-Trailer-*.
  metadataHeaders(status.headers, "grpc-metadata-", headers);
  metadataHeaders(metadata, "grpc-trailer-", headers);
  if (code === StatusCode.UNAUTHENTICATED) {
    const challenge = metadata?.get("www-authenticate")[0];
    headers["www-authenticate"] = typeof challenge === "string" ? challenge : "Bearer";
  }
  const message = code === StatusCode.UNAVAILABLE && status.details?.startsWith("No connection established") ? `upstream "${service}" is unavailable: ${status.details}` : (status.details ?? "");
  return new GatewayError(code, message, { details: detailsOf(metadata, protoJson, registry), metadata: headers });
}

function detailsOf(metadata: Metadata | undefined, protoJson: ProtoJsonMapping, registry: ProtoRegistry): ErrorDetail[] {
  const raw = metadata?.get("grpc-status-details-bin")[0];
  if (raw === undefined || typeof raw === "string") return [];
  try {
    const decoded = protoJson.decode(registry.findType("google.rpc.Status")!, raw) as { details?: ErrorDetail[] };
    return decoded.details ?? [];
  } catch {
    // A detail of a type this gateway does not know cannot be written as JSON; the code and message still go out.
    return [];
  }
}
