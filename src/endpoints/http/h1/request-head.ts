import { GatewayError } from "../../../core/gateway-error.js";
import type { HeaderMap } from "../../../core/envelope.js";
import { StatusCode } from "../../../core/status-code.js";

/** A CR, LF or NUL in a header would let a value start a header (or a request) of its own. */
const unsafeValue = /[\r\n\0]/;
/** Methods whose empty body is still announced, as Node and undici do. */
const announcesEmptyBody = new Set(["POST", "PUT", "PATCH"]);

/** How the body after the head is framed. */
export enum BodyFraming {
  NONE,
  LENGTH,
  CHUNKED,
}

/**
 * The request line and headers as one latin1 string (header values are
 * latin1 strings as Node parsed them, so bytes go out as they came in).
 * `host` is written when the headers carry none; undefined values are
 * skipped (removed headers are set to undefined, see stripHopByHop).
 */
export function requestHead(method: string, path: string, host: string, headers: HeaderMap, framing: BodyFraming): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  if (headers.host === undefined) head += `host: ${host}\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === "string") {
      if (unsafeValue.test(value)) throw unsafeHeader(name);
      head += `${name}: ${value}\r\n`;
    } else {
      for (const item of value) {
        if (unsafeValue.test(item)) throw unsafeHeader(name);
        head += `${name}: ${item}\r\n`;
      }
    }
  }
  if (framing === BodyFraming.CHUNKED) head += "transfer-encoding: chunked\r\n";
  else if (framing === BodyFraming.NONE && headers["content-length"] === undefined && announcesEmptyBody.has(method)) head += "content-length: 0\r\n";
  return `${head}\r\n`;
}

function unsafeHeader(name: string): GatewayError {
  return new GatewayError(StatusCode.INVALID_ARGUMENT, `header "${name}" holds a character HTTP/1.1 forbids (CR, LF or NUL)`);
}
