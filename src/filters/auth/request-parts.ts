import type { HeaderMap } from "../../core/envelope.js";

/** A header's value when it was sent once; repeated (joined or array) values count as absent-or-ambiguous and are returned joined. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The first value of a query parameter in a raw query string, decoded; undefined when absent. */
export function queryValue(rawQuery: string, name: string): string | undefined {
  if (rawQuery === "") return undefined;
  for (const part of rawQuery.split("&")) {
    const equals = part.indexOf("=");
    if (decodeComponent(equals < 0 ? part : part.slice(0, equals)) !== name) continue;
    return equals < 0 ? "" : decodeComponent(part.slice(equals + 1));
  }
  return undefined;
}

/**
 * The raw query without every occurrence of one parameter. The other
 * parameters keep their exact bytes (re-serialising with URLSearchParams
 * would re-encode them, and the upstream would see a different query).
 */
export function withoutQueryParameter(rawQuery: string, name: string): string {
  if (rawQuery === "") return rawQuery;
  return rawQuery
    .split("&")
    .filter((part) => {
      const equals = part.indexOf("=");
      return decodeComponent(equals < 0 ? part : part.slice(0, equals)) !== name;
    })
    .join("&");
}

/** A cookie's value from the Cookie header(s); undefined when absent. */
export function cookieValue(headers: HeaderMap, name: string): string | undefined {
  const header = headerValue(headers, "cookie");
  if (header === undefined) return undefined;
  for (const pair of header.split(/;\s*|,\s*/)) {
    const equals = pair.indexOf("=");
    if (equals > 0 && pair.slice(0, equals).trim() === name)
      return pair
        .slice(equals + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
  }
  return undefined;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}
