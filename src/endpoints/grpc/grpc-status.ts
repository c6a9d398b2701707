import type { Metadata } from "@grpc/grpc-js";
import type { CallStatus } from "./grpc-calls.js";
import type { ErrorDetail } from "../../core/gateway-error.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { ProtoJsonCodec } from "../../codecs/protojson/protojson-codec.js";
import type { ProtoRegistry } from "../../schema/proto-registry.js";
import { metadataHeaders } from "./grpc-metadata.js";

/**
 * A failed call → GatewayError: the upstream's code and message, details
 * from `grpc-status-details-bin` (a google.rpc.Status whose Any entries are
 * written with their "@type"), response metadata as Grpc-Metadata-* headers,
 * and WWW-Authenticate on UNAUTHENTICATED (from metadata, else "Bearer").
 */
export function errorFromStatus(status: CallStatus, codec: ProtoJsonCodec, registry: ProtoRegistry, service: string): GatewayError {
  const code = (status.code >= 0 && status.code <= 16 ? status.code : StatusCode.UNKNOWN) as StatusCode;
  const headers: Record<string, string> = {};
  const metadata = status.metadata;
  metadataHeaders(metadata, "grpc-metadata-", headers);
  if (code === StatusCode.UNAUTHENTICATED) {
    const challenge = metadata?.get("www-authenticate")[0];
    headers["www-authenticate"] = typeof challenge === "string" ? challenge : "Bearer";
  }
  const message = code === StatusCode.UNAVAILABLE && status.details?.startsWith("No connection established")
    ? `upstream "${service}" is unavailable: ${status.details}`
    : status.details ?? "";
  return new GatewayError(code, message, { details: detailsOf(metadata, codec, registry), metadata: headers });
}

function detailsOf(metadata: Metadata | undefined, codec: ProtoJsonCodec, registry: ProtoRegistry): ErrorDetail[] {
  const raw = metadata?.get("grpc-status-details-bin")[0];
  if (raw === undefined || typeof raw === "string") return [];
  try {
    const decoded = codec.decode(registry.findType("google.rpc.Status")!, raw) as { details?: ErrorDetail[] };
    return decoded.details ?? [];
  } catch {
    // A detail of a type this gateway does not know cannot be written as JSON; the code and message still go out.
    return [];
  }
}
