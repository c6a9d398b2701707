import type { Codec } from "../codecs/codec.js";
import { stringifyExact } from "../codecs/json/exact-numbers.js";
import { GatewayError } from "../core/gateway-error.js";
import { FrameError, type Frame, type FrameBody } from "./frame.js";
import type { FrameFormat, FrameFormatFactory } from "./frame-format.js";
import { checkFrame, isJsonMediaType, isTextMediaType, utf8Text } from "./frame-fields.js";

/**
 * Frames as JSON objects. A JSON body (no content-type, or a JSON one) is
 * inline in `body`; another text body is a string in `body`; anything else
 * is base64 in `bodyBase64`. The frame is read by the JSON codec, so its
 * limits (size, depth, prototype keys) hold for the whole frame.
 */
export function createJsonFrameFormat(json: Codec): FrameFormat {
  return {
    name: "json",
    binary: false,
    bodyMediaType: "application/json",
    decode(bytes) {
      let fields: unknown;
      try {
        fields = json.decode(bytes);
      } catch (error) {
        throw new FrameError(`the frame is not valid JSON: ${GatewayError.from(error).message}`, undefined);
      }
      if (typeof fields !== "object" || fields === null || Array.isArray(fields)) throw new FrameError("a frame must be a JSON object", undefined);
      const record = fields as Record<string, unknown>;
      const frame = checkFrame(record, undefined);
      return { ...frame, body: readBody(record, frame) };
    },
    encode(frame) {
      let text = `{"id":${JSON.stringify(frame.id)}`;
      if (frame.method !== undefined) text += `,"method":${JSON.stringify(frame.method)}`;
      if (frame.path !== undefined) text += `,"path":${JSON.stringify(frame.path)}`;
      if (frame.status !== undefined) text += `,"status":${frame.status}`;
      if (frame.stream === true) text += ',"stream":true';
      if (frame.end === true) text += ',"end":true';
      if (frame.cancel === true) text += ',"cancel":true';
      if (Object.keys(frame.headers).length > 0) text += `,"headers":${JSON.stringify(frame.headers)}`;
      if (frame.body !== undefined) text += writeBody(frame.body, frame.headers["content-type"]);
      return Buffer.from(`${text}}`);
    },
  };
}

function readBody(fields: Record<string, unknown>, frame: Frame): FrameBody | undefined {
  const base64 = fields.bodyBase64;
  if (base64 !== undefined) {
    if (typeof base64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new FrameError('"bodyBase64" must be a base64 string', frame.id);
    return { kind: "bytes", bytes: Buffer.from(base64, "base64") };
  }
  if (!("body" in fields) || fields.body === undefined) return undefined;
  const contentType = frame.headers["content-type"];
  if (isJsonMediaType(contentType)) return { kind: "value", value: fields.body };
  if (typeof fields.body !== "string") throw new FrameError(`a ${contentType} body must be a string (or bodyBase64)`, frame.id);
  return { kind: "bytes", bytes: Buffer.from(fields.body) };
}

function writeBody(body: FrameBody, contentType: string | undefined): string {
  if (body.kind === "value") return `,"body":${stringifyExact(body.value) ?? "null"}`;
  const text = utf8Text(body.bytes);
  if (isJsonMediaType(contentType)) {
    if (text !== undefined && isJson(text)) return `,"body":${text}`;
  } else if (text !== undefined && isTextMediaType(contentType)) {
    return `,"body":${JSON.stringify(text)}`;
  }
  return `,"bodyBase64":"${Buffer.from(body.bytes).toString("base64")}"`;
}

/** An upstream's JSON is spliced in as it is, once it is known to parse (a frame must stay well-formed). */
function isJson(text: string): boolean {
  if (text.trim() === "") return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export const jsonFrameFormat: FrameFormatFactory = { name: "json", create: (codecs) => createJsonFrameFormat(codecs.json) };
