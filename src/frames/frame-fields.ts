import { headerText, mediaType, type HeaderMap } from "../core/envelope.js";
import { setOwnProperty } from "../core/own-property.js";
import { FrameError, type Frame, type FrameBody } from "./frame.js";

const validId = /^[\x21-\x7e]{1,128}$/;
const validMethod = /^[A-Z]{1,16}$/;

/**
 * Checks the fields of a decoded frame (whatever its wire format) and
 * returns the Frame: an id of printable characters, an upper-case method, a
 * path that starts with "/", string headers (names lower-cased), a status in
 * 100–599, boolean flags. Every error names the field.
 */
export function checkFrame(fields: Readonly<Record<string, unknown>>, body: FrameBody | undefined): Frame {
  const rawId = fields.id;
  const id = typeof rawId === "number" && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  if (typeof id !== "string" || !validId.test(id)) throw new FrameError('"id" must be a string of 1–128 printable characters', undefined);
  const fail = (message: string): never => {
    throw new FrameError(message, id);
  };
  const optionalString = (name: string): string | undefined => {
    const value = fields[name];
    if (value === undefined || value === null || value === "") return undefined;
    return typeof value === "string" ? value : fail(`"${name}" must be a string`);
  };
  const flag = (name: string): boolean | undefined => {
    const value = fields[name];
    if (value === undefined || value === null) return undefined;
    return typeof value === "boolean" ? value || undefined : fail(`"${name}" must be true or false`);
  };
  const method = optionalString("method");
  if (method !== undefined && !validMethod.test(method)) fail(`"method" must be an HTTP method in upper case, not "${method.slice(0, 20)}"`);
  const path = optionalString("path");
  if (path !== undefined && path.charCodeAt(0) !== 47) fail('"path" must start with "/"');
  const status = fields.status;
  if (status !== undefined && status !== null && status !== 0 && (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599)) {
    fail('"status" must be an HTTP status (100–599)');
  }
  return {
    id,
    method,
    path,
    headers: checkHeaders(fields.headers, fail),
    body,
    status: typeof status === "number" && status !== 0 ? status : undefined,
    stream: flag("stream"),
    end: flag("end"),
    cancel: flag("cancel"),
  };
}

function checkHeaders(value: unknown, fail: (message: string) => never): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) return fail('"headers" must be an object of strings');
  const headers: Record<string, string> = {};
  for (const [name, text] of Object.entries(value)) {
    if (typeof text !== "string") fail(`header "${name}" must be a string`);
    setOwnProperty(headers, name.toLowerCase(), text);
  }
  return headers;
}

/** JSON bodies travel inline in JSON frames: no content type, or a JSON one. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === undefined || type === "application/json" || type.endsWith("+json");
}

/** Bodies that are text go as strings where a frame format has no bytes (JSON, XML frames). */
export function isTextMediaType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type !== undefined && (type.startsWith("text/") || type.endsWith("/json") || type.endsWith("+json") || type.endsWith("/xml") || type.endsWith("+xml") || type === "application/x-ndjson");
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of bytes that are valid UTF-8, else undefined. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Envelope headers as frame headers: one string each (repeats joined), without the `omitted` names. */
export function toFrameHeaders(headers: HeaderMap, omitted: ReadonlySet<string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name in headers) {
    const value = headerText(headers[name]);
    if (value !== undefined && !omitted.has(name)) result[name] = value;
  }
  return result;
}
