import type { Body } from "../../core/body.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { CodecRegistry } from "../../codecs/codec-registry.js";
import { decodeStreamMessage } from "../../codecs/codec-step.js";
import { JsonValueSplitter, type JsonValueSlice } from "./json-value-splitter.js";

/**
 * The messages of a client stream sent over HTTP: JSON values read as the
 * body arrives, one message each, separated by newlines (NDJSON) or
 * whitespace or nothing at all (`{"a":1}{"a":2}`, as grpc-gateway's
 * json.Decoder reads them); a JSON array or decoded message stream (from
 * other listeners) is taken as it is. Each value goes through the JSON
 * codec, with its limits; `maxValueBytes` bounds one value.
 */
export async function* requestMessages(body: Body, codecs: CodecRegistry, maxValueBytes: number): AsyncGenerator<unknown> {
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
      yield* splitValues([body.bytes], codecs, maxValueBytes);
      return;
    case "readable":
      yield* splitValues(body.stream as AsyncIterable<Uint8Array>, codecs, maxValueBytes);
      return;
    case "push":
      throw new GatewayError(StatusCode.UNIMPLEMENTED, "a pushed body cannot feed a client stream");
  }
}

async function* splitValues(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, codecs: CodecRegistry, maxValueBytes: number): AsyncGenerator<unknown> {
  const splitter = new JsonValueSplitter(maxValueBytes);
  for await (const chunk of chunks) {
    for (const slice of splitter.push(chunk)) yield decodeValue(slice, codecs);
  }
  for (const slice of splitter.end()) yield decodeValue(slice, codecs);
}

function decodeValue(slice: JsonValueSlice, codecs: CodecRegistry): unknown {
  try {
    return decodeStreamMessage(codecs, slice.bytes);
  } catch (error) {
    const reason = GatewayError.from(error);
    throw new GatewayError(reason.code, `JSON value ${slice.index} of the request stream (which starts at line ${slice.line}, column ${slice.column}): ${reason.message}`, {
      httpStatus: reason.httpStatus,
    });
  }
}
