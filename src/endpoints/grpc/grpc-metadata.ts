import { Metadata } from "@grpc/grpc-js";
import type { HeaderMap } from "../../core/envelope.js";

const metadataPrefix = "grpc-metadata-";
/** Headers that are HTTP/2 or gRPC framing, never metadata. */
const reserved = new Set(["te", "content-type", "content-length", "user-agent", "host", "connection", "keep-alive", "transfer-encoding", "upgrade"]);

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
    if (key === undefined || key === "" || reserved.has(key) || key.startsWith("grpc-")) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (key.endsWith("-bin")) metadata.add(key, Buffer.from(item, "base64"));
      else metadata.add(key, item);
    }
  }
  return metadata;
}

/** gRPC metadata → response headers `<prefix><key>`; binary values in base64. */
export function metadataHeaders(metadata: Metadata | undefined, prefix: string, headers: HeaderMap): void {
  if (metadata === undefined) return;
  for (const key of Object.keys(metadata.getMap())) {
    if (key.startsWith("grpc-")) continue;
    const text = metadata.get(key).map((value) => (typeof value === "string" ? value : Buffer.from(value).toString("base64")));
    headers[`${prefix}${key}`] = text.length === 1 ? text[0]! : text.join(", ");
  }
}
