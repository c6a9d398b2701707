import type { BenchTargetSpec } from "../bench-target.js";
import { compileBodyTemplate } from "../body-template.js";

/** A JSON request frame for one call: its text given the call's id and the request's sequence number. */
export type FrameRequest = (id: string, sequence: number) => string;

const validMethod = /^[A-Z]{1,16}$/;

/**
 * Builds the JSON request frame of README "Frames" once: everything but the
 * id (and a templated body) is rendered here, so a request is two string
 * concatenations. A JSON body (no content-type, or a JSON one) goes inline
 * and must parse; any other body goes as a string.
 */
export function compileFrameRequest(spec: BenchTargetSpec): FrameRequest {
  const method = spec.method.toUpperCase();
  if (!validMethod.test(method)) throw new Error(`the frame's method must be an HTTP method such as GET or POST, not "${spec.method}"`);
  const path = spec.path ?? "/";
  if (!path.startsWith("/")) throw new Error(`the frame's path must start with "/", not "${path}"`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) headers[name.toLowerCase()] = value;
  let head = `","method":${JSON.stringify(method)},"path":${JSON.stringify(path)}`;
  if (Object.keys(headers).length > 0) head += `,"headers":${JSON.stringify(headers)}`;
  if (spec.body === "") return (id) => `{"id":"${id}${head}}`;

  const template = compileBodyTemplate(spec.body);
  const contentType = headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  const inline = contentType === undefined || contentType === "application/json" || contentType.endsWith("+json");
  const bodyField = (text: string) => (inline ? `,"body":${text.trim()}` : `,"body":${JSON.stringify(text)}`);
  if (inline) {
    const sample = template(0);
    try {
      JSON.parse(sample);
    } catch (error) {
      throw new Error(`the body must be JSON (frames carry a JSON body inline; set a content-type header for other text): ${(error as Error).message}`);
    }
  }
  const first = template(0);
  if (template(1) === first && first === spec.body) {
    const tail = `${head}${bodyField(first)}}`;
    return (id) => `{"id":"${id}${tail}`;
  }
  return (id, sequence) => `{"id":"${id}${head}${bodyField(template(sequence))}}`;
}

/** A reply frame's id and status (undefined on data frames); undefined when it is not a frame. */
export interface ReplyHead {
  readonly id: string;
  readonly status: number | undefined;
}

/** Rosetta writes `{"id":"…","status":NNN` first: read that without parsing the body. */
const fastHead = /^\{"id":"([\x21\x23-\x5b\x5d-\x7e]{1,128})","status":(\d{3})[,}]/;

/** The reply frame's head: from its first bytes when Rosetta wrote it (no body parsing), else by parsing the whole frame. */
export function readReplyHead(bytes: Buffer): ReplyHead | undefined {
  const fast = fastHead.exec(bytes.toString("latin1", 0, Math.min(bytes.length, 160)));
  if (fast !== null) return { id: fast[1] ?? "", status: Number(fast[2]) };
  let frame: unknown;
  try {
    frame = JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof frame !== "object" || frame === null) return undefined;
  const id = "id" in frame ? frame.id : undefined;
  const status = "status" in frame ? frame.status : undefined;
  if (typeof id !== "string" && typeof id !== "number") return undefined;
  return { id: String(id), status: typeof status === "number" && status > 0 ? status : undefined };
}
