import type { HeaderMap } from "../core/envelope.js";

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and must not
 * be forwarded: Connection and every header it names, Keep-Alive, TE (except
 * `trailers`, which announces the caller reads trailers), Transfer-Encoding,
 * Upgrade, and the Proxy-* family. `Expect` is answered by the listener
 * itself (100-continue) and is not forwarded either.
 * Mutates and returns `headers`; costs a few lookups when none are present.
 */
export function stripHopByHop(headers: HeaderMap): HeaderMap {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of (Array.isArray(connection) ? connection.join(",") : connection).split(",")) {
      const name = token.trim().toLowerCase();
      // A caller must not be able to strip end-to-end headers the gateway relies on.
      if (name !== "" && name !== "host" && name !== "content-length" && name !== "content-type") delete headers[name];
    }
    delete headers.connection;
  }
  if (headers["keep-alive"] !== undefined) delete headers["keep-alive"];
  if (headers["transfer-encoding"] !== undefined) delete headers["transfer-encoding"];
  if (headers.upgrade !== undefined) delete headers.upgrade;
  if (headers.expect !== undefined) delete headers.expect;
  const te = headers.te;
  if (te !== undefined) {
    if (typeof te === "string" && te.split(",").some((token) => token.trim().toLowerCase() === "trailers")) headers.te = "trailers";
    else delete headers.te;
  }
  for (const name in headers) {
    if (name.charCodeAt(0) === 112 /* p */ && name.startsWith("proxy-")) delete headers[name];
  }
  return headers;
}
