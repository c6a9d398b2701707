import { FrameError, type Frame } from "../../frames/frame.js";
import type { FrameFormat } from "../../frames/frame-format.js";

/**
 * Plain text protocols (`framing: line`): the line sent is the request
 * body as text, or `METHOD /path?query` when there is none; the line back
 * is a 200 text/plain reply. No ids, so one call at a time per connection.
 */
export const lineFrameFormat: FrameFormat = {
  name: "line",
  binary: false,
  bodyMediaType: "text/plain",
  decode(bytes) {
    return { id: "", status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: { kind: "bytes", bytes } };
  },
  encode(frame: Frame) {
    const body = frame.body;
    const text =
      body === undefined
        ? `${frame.method ?? "GET"} ${frame.path ?? "/"}`
        : body.kind === "bytes"
          ? Buffer.from(body.bytes).toString()
          : typeof body.value === "string"
            ? body.value
            : JSON.stringify(body.value);
    if (/[\r\n]/.test(text)) throw new FrameError("a line protocol cannot carry a body with a line break", frame.id);
    return Buffer.from(text);
  },
};
