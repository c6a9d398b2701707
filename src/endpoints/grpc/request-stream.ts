import type { Body } from "../../core/body.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { CodecRegistry } from "../../codecs/codec-registry.js";
import { decodeStreamMessage } from "../../codecs/codec-step.js";

/**
 * The messages of a client stream sent over HTTP: an NDJSON body (one JSON
 * message per line, blank lines skipped), read as it arrives; a JSON array
 * or decoded message stream (from other listeners) is taken as it is. Each
 * line goes through the JSON codec, with its limits.
 */
export async function* requestMessages(body: Body, codecs: CodecRegistry, maxLineBytes: number): AsyncGenerator<unknown> {
  switch (body.kind) {
    case "empty":
      return;
    case "value":
      if (Array.isArray(body.value)) yield* body.value;
      else yield body.value;
      return;
    case "messages":
      yield* body.messages;
      return;
    case "bytes":
      yield* splitLines([body.bytes], codecs, maxLineBytes);
      return;
    case "readable":
      yield* splitLines(body.stream as AsyncIterable<Uint8Array>, codecs, maxLineBytes);
      return;
    case "push":
      throw new GatewayError(StatusCode.UNIMPLEMENTED, "a pushed body cannot feed a client stream");
  }
}

async function* splitLines(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, codecs: CodecRegistry, maxLineBytes: number): AsyncGenerator<unknown> {
  let pending = Buffer.alloc(0);
  let line = 0;
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    let newline: number;
    while ((newline = pending.indexOf(10)) >= 0) {
      line++;
      const text = pending.subarray(0, newline);
      pending = pending.subarray(newline + 1);
      if (text.toString().trim() !== "") yield decodeLine(text, codecs, line);
    }
    if (pending.length > maxLineBytes) throw new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `NDJSON line ${line + 1} exceeds ${maxLineBytes} bytes`, { httpStatus: 413 });
  }
  if (pending.toString().trim() !== "") yield decodeLine(pending, codecs, line + 1);
}

function decodeLine(text: Uint8Array, codecs: CodecRegistry, line: number): unknown {
  try {
    return decodeStreamMessage(codecs, text);
  } catch (error) {
    const reason = GatewayError.from(error);
    throw new GatewayError(reason.code, `NDJSON line ${line}: ${reason.message}`, { httpStatus: reason.httpStatus });
  }
}
