import { Metadata } from "@grpc/grpc-js";

/**
 * Decoded header fields → grpc-js Metadata, built only when the block holds
 * something besides the transport's own fields (pseudo-headers,
 * content-type, grpc-status, grpc-message): most replies carry nothing
 * else, and then no object is made. `-bin` values are base64, possibly
 * several joined by commas.
 */
export function responseMetadata(fields: readonly string[]): Metadata | undefined {
  let metadata: Metadata | undefined;
  for (let index = 0; index < fields.length; index += 2) {
    const name = fields[index] ?? "";
    if (name.charCodeAt(0) === 58 /* ":" */ || name === "content-type" || name === "grpc-status" || name === "grpc-message") continue;
    const value = fields[index + 1] ?? "";
    metadata ??= new Metadata();
    try {
      if (name.endsWith("-bin")) for (const part of value.split(",")) metadata.add(name, Buffer.from(part.trim(), "base64"));
      else metadata.add(name, value);
    } catch {
      // A name or value grpc-js refuses (upper case, control characters) is not metadata a service meant to send.
    }
  }
  return metadata;
}

/** The first value of `name` in decoded fields, or undefined. */
export function field(fields: readonly string[], name: string): string | undefined {
  for (let index = 0; index < fields.length; index += 2) if (fields[index] === name) return fields[index + 1];
  return undefined;
}
