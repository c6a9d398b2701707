import { Metadata } from "@grpc/grpc-js";
import type { HeaderMap } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";

const metadataPrefix = "grpc-metadata-";
/** Headers that are HTTP/2 or gRPC framing, never metadata (grpc-* and :pseudo headers too, checked apart). */
const reserved = new Set(["te", "content-type", "content-length", "date", "user-agent", "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** True for a key that is transport, not metadata, in either direction. */
function isReserved(key: string): boolean {
  return reserved.has(key) || key.startsWith("grpc-") || key.startsWith(":");
}

/** gRPC's Header-Name (HTTP lower-cases names, so upper case never reaches here) and ASCII-Value. */
const legalKey = /^[0-9a-z_.-]+$/;
const legalTextValue = /^[\x20-\x7e]*$/;

/**
 * A call's request metadata as read from the caller's headers: name/value
 * pairs in header order (bytes for `-bin` keys). Rosetta's HTTP/2 client
 * writes them straight into the header block; a grpc-js Metadata is built
 * only for a call that goes through grpc-js.
 */
export class CallMetadata {
  readonly pairs: Array<readonly [name: string, value: string | Buffer]> = [];

  add(name: string, value: string | Buffer): void {
    this.pairs.push([name, value]);
  }

  /** The same pairs as grpc-js Metadata (values of one key keep their order). */
  toMetadata(): Metadata {
    const metadata = new Metadata();
    for (const [name, value] of this.pairs) metadata.add(name, value);
    return metadata;
  }
}

/** Told of a header left out of the metadata: its name and why, never its value. */
export type SkippedHeader = (header: string, reason: string) => void;

/**
 * Request headers → gRPC metadata: every `Grpc-Metadata-<key>` header (prefix
 * removed) and the allow-listed headers by name. Keys ending in `-bin` carry
 * base64 in HTTP and bytes in gRPC. A header gRPC cannot carry (a key with a
 * character outside `0-9 a-z _ . -`, a text value that is not printable
 * ASCII) is left out and reported to `skipped`: the call goes on without it,
 * as grpc-gateway does, instead of failing in the gRPC client.
 */
export function requestMetadata(headers: HeaderMap, forward: ReadonlySet<string>, skipped?: SkippedHeader): CallMetadata {
  const metadata = new CallMetadata();
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    let key: string | undefined;
    if (name.startsWith(metadataPrefix)) key = name.slice(metadataPrefix.length);
    else if (forward.has(name)) key = name;
    if (key === undefined || key === "" || isReserved(key)) continue;
    if (!legalKey.test(key)) {
      skipped?.(name, "its key has characters gRPC metadata keys cannot have (0-9 a-z _ . - only)");
      continue;
    }
    const binary = key.endsWith("-bin");
    if (typeof value === "string") addValue(metadata, name, key, binary, value, skipped);
    else for (const item of value) addValue(metadata, name, key, binary, item, skipped);
  }
  return metadata;
}

function addValue(metadata: CallMetadata, name: string, key: string, binary: boolean, item: string, skipped: SkippedHeader | undefined): void {
  if (binary) metadata.add(key, Buffer.from(item, "base64"));
  else if (legalTextValue.test(item)) metadata.add(key, item);
  else skipped?.(name, "its value is not printable ASCII, which gRPC metadata text values must be");
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

/** True when the caller said it reads HTTP trailers (`TE: trailers`, as grpc-gateway tests it). */
export function acceptsTrailers(headers: HeaderMap): boolean {
  const te = headers.te;
  return te !== undefined && (Array.isArray(te) ? te.join(",") : te).toLowerCase().includes("trailers");
}

const trailerPrefix = "grpc-trailer-";

/** The failure with its Grpc-Trailer-* headers moved to HTTP trailers (the header metadata stays in the head). */
export function withErrorTrailers(reason: GatewayError): GatewayError {
  const headers: Record<string, string> = {};
  const trailers: Record<string, string> = {};
  let moved = false;
  for (const [name, value] of Object.entries(reason.metadata)) {
    if (name.startsWith(trailerPrefix)) {
      trailers[name] = value;
      moved = true;
    } else headers[name] = value;
  }
  if (!moved) return reason;
  return new GatewayError(reason.code, reason.message, { details: reason.details, metadata: headers, trailers, httpStatus: reason.httpStatus, cause: reason.cause ?? reason });
}
