import type { HeaderMap } from "./envelope.js";

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and must not
 * be forwarded: Connection and every header it names, Keep-Alive, TE (except
 * `trailers`, which announces the caller reads trailers), Transfer-Encoding,
 * Upgrade, and the Proxy-* family. `Expect` is answered by the listener
 * itself (100-continue) and is not forwarded either.
 * Mutates and returns `headers`. Removed headers are set to undefined rather
 * deleted: `delete` turns a V8 object into a slow dictionary, which costs
 * more than the whole check; writers skip undefined values.
 */
export function stripHopByHop(headers: HeaderMap): HeaderMap {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of (Array.isArray(connection) ? connection.join(",") : connection).split(",")) {
      const name = token.trim().toLowerCase();
      // A caller must not be able to strip end-to-end headers the gateway relies on.
      if (name !== "" && name !== "host" && name !== "content-length" && name !== "content-type" && headers[name] !== undefined) headers[name] = undefined;
    }
    headers.connection = undefined;
  }
  if (headers["keep-alive"] !== undefined) headers["keep-alive"] = undefined;
  if (headers["transfer-encoding"] !== undefined) headers["transfer-encoding"] = undefined;
  if (headers.upgrade !== undefined) headers.upgrade = undefined;
  if (headers.expect !== undefined) headers.expect = undefined;
  const te = headers.te;
  if (te !== undefined) {
    if (typeof te === "string" && te.split(",").some((token) => token.trim().toLowerCase() === "trailers")) headers.te = "trailers";
    else headers.te = undefined;
  }
  for (const name in headers) {
    if (name.charCodeAt(0) === 112 /* p */ && name.startsWith("proxy-")) headers[name] = undefined;
  }
  return headers;
}
