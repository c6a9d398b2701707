import { Metadata } from "@grpc/grpc-js";
import type { HeaderMap } from "../../core/envelope.js";

const metadataPrefix = "grpc-metadata-";
/** Headers that are HTTP/2 or gRPC framing, never metadata (grpc-* and :pseudo headers too, checked apart). */
const reserved = new Set(["te", "content-type", "content-length", "date", "user-agent", "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** True for a key that is transport, not metadata, in either direction. */
function isReserved(key: string): boolean {
  return reserved.has(key) || key.startsWith("grpc-") || key.startsWith(":");
}

/**
 * Request headers → gRPC metadata: every `Grpc-Metadata-<key>` header (prefix
 * removed) and the allow-listed headers by name. Keys ending in `-bin` carry
 * base64 in HTTP and bytes in gRPC.
 */
export function requestMetadata(headers: HeaderMap, forward: ReadonlySet<string>): Metadata {
  const metadata = new Metadata();
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    let key: string | undefined;
    if (name.startsWith(metadataPrefix)) key = name.slice(metadataPrefix.length);
    else if (forward.has(name)) key = name;
    if (key === undefined || key === "" || isReserved(key)) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (key.endsWith("-bin")) metadata.add(key, Buffer.from(item, "base64"));
      else metadata.add(key, item);
    }
  }
  return metadata;
}

/**
 * gRPC metadata → response headers `<prefix><key>`; binary values in base64.
 * Both clients hand over every HTTP/2 header as metadata; the transport's own
 * (content-type, date, grpc-encoding, …) are not the service's and stay behind.
 */
export function metadataHeaders(metadata: Metadata | undefined, prefix: string, headers: HeaderMap): void {
  if (metadata === undefined) return;
  for (const key of Object.keys(metadata.getMap())) {
    if (isReserved(key)) continue;
    const text = metadata.get(key).map((value) => (typeof value === "string" ? value : Buffer.from(value).toString("base64")));
    headers[`${prefix}${key}`] = text.length === 1 ? text[0] : text.join(", ");
  }
}
