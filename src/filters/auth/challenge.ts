import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { string } from "../../options/schema.js";

/** An auth-param value as an RFC 9110 quoted-string: backslash and double quote escaped, controls dropped. */
export function quoted(value: string): string {
  const visible = Array.from(value, (character) => (character < " " || character === "\x7f" ? "" : character)).join("");
  return `"${visible.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * The one rejection of the authentication filters: 401 UNAUTHENTICATED with
 * the challenge in WWW-Authenticate (never 403: that is for a caller who is
 * known and not allowed). Every listener writes it in the caller's protocol.
 * The message never holds what the caller presented.
 */
export function unauthenticated(message: string, challenge: string): GatewayError {
  return new GatewayError(StatusCode.UNAUTHENTICATED, message, { metadata: { "www-authenticate": challenge } });
}

/** A realm: printable ASCII, since it goes into a header value. */
export const realmSchema = string({ pattern: /^[\x20-\x7e]{0,200}$/, patternHint: "printable ASCII (at most 200 characters)" });
