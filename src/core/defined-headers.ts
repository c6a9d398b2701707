import type { HeaderMap } from "./envelope.js";

/**
 * The headers Node may write: Rosetta marks a removed header as undefined
 * (see stripHopByHop), which Node's writeHead rejects, so they are copied
 * without those — only when there are any. An object, not Node's flat-array
 * form: writeHead re-adds array entries one by one.
 */
export function definedHeaders(headers: HeaderMap): Record<string, string | string[]> {
  for (const name in headers) {
    if (headers[name] !== undefined) continue;
    const clean: Record<string, string | string[]> = {};
    for (const key in headers) {
      const value = headers[key];
      if (value !== undefined) clean[key] = value;
    }
    return clean;
  }
  return headers as Record<string, string | string[]>;
}
