import type protobuf from "protobufjs";
import { WireType } from "./message-info.js";

/** Bytes that are not a well-formed protobuf message; the message says what and where. */
export class WireError extends Error {}

/**
 * The strict parts of reading the protobuf wire format, around protobufjs's
 * Reader (which is lenient: it accepts wire types 6 and 7, field number 0,
 * lengths past the end of the enclosing message, and invalid UTF-8). Every
 * check is against `end`, the end of the message being read, not only the
 * end of the buffer.
 */
export const defaultMaxDepth = 100;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A varint of at most 10 bytes as a Number (exact below 2^53; larger values are only compared). */
function varint(reader: protobuf.Reader, end: number, what: string): number {
  const start = reader.pos;
  let value = 0;
  let scale = 1;
  for (let index = 0; index < 10; index++) {
    if (reader.pos >= end) throw new WireError(`${what} at byte ${start} runs past the end of its message`);
    const byte = reader.buf[reader.pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  throw new WireError(`${what} at byte ${start} is a varint longer than 10 bytes`);
}

export interface Tag {
  readonly id: number;
  readonly wireType: number;
}

/** A field key: a field number of 1 … 2^29 - 1 and one of the six wire types. */
export function readTag(reader: protobuf.Reader, end: number): Tag {
  const start = reader.pos;
  const key = varint(reader, end, "a field key");
  const wireType = key % 8;
  const id = Math.floor(key / 8);
  if (wireType > WireType.FIXED32) throw new WireError(`the field key at byte ${start} has wire type ${wireType}, which does not exist`);
  if (id === 0) throw new WireError(`the field key at byte ${start} has field number 0`);
  if (id >= 2 ** 29) throw new WireError(`the field key at byte ${start} has field number ${id}, above the largest (2^29 - 1)`);
  return { id, wireType };
}

/** The length of a length-delimited field; it must fit in what is left of its message (and so is below 2^31). */
export function readLength(reader: protobuf.Reader, end: number, what: string): number {
  const start = reader.pos;
  const length = varint(reader, end, `the length of ${what}`);
  if (length >= 2 ** 31) throw new WireError(`the length of ${what} at byte ${start} is ${length}, at least 2^31`);
  if (reader.pos + length > end) throw new WireError(`the length of ${what} at byte ${start} is ${length}, past the end of its message (${end - reader.pos} bytes left)`);
  return length;
}

/** Short ASCII strings (most field values) skip the UTF-8 decoder, which costs more than the copy for them. */
const asciiFastPath = 64;

export function readString(reader: protobuf.Reader, end: number, what: string): string {
  const length = readLength(reader, end, what);
  const start = reader.pos;
  reader.pos += length;
  const buf = reader.buf;
  if (length <= asciiFastPath && Buffer.isBuffer(buf)) {
    let ascii = true;
    for (let index = start; index < start + length; index++) {
      if ((buf[index] ?? 0x80) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return buf.toString("latin1", start, start + length);
  }
  try {
    return utf8.decode(reader.buf.subarray(start, start + length));
  } catch {
    throw new WireError(`${what} at byte ${start} is not valid UTF-8`);
  }
}

export function readBytes(reader: protobuf.Reader, end: number, what: string): Uint8Array {
  const length = readLength(reader, end, what);
  const start = reader.pos;
  reader.pos += length;
  return reader.buf.subarray(start, start + length);
}

/** Skips an unknown field's value, groups included (counted as nesting). */
export function skipField(reader: protobuf.Reader, tag: Tag, end: number, depth: number, maxDepth: number): void {
  switch (tag.wireType) {
    case WireType.VARINT:
      varint(reader, end, `field ${tag.id}`);
      return;
    case WireType.FIXED64:
    case WireType.FIXED32: {
      const size = tag.wireType === WireType.FIXED64 ? 8 : 4;
      if (reader.pos + size > end) throw new WireError(`field ${tag.id} at byte ${reader.pos} runs past the end of its message`);
      reader.pos += size;
      return;
    }
    case WireType.LENGTH_DELIMITED: {
      const length = readLength(reader, end, `field ${tag.id}`);
      reader.pos += length;
      return;
    }
    case WireType.START_GROUP: {
      if (depth + 1 > maxDepth) throw tooDeep(maxDepth);
      for (;;) {
        const inner = readTag(reader, end);
        if (inner.wireType === WireType.END_GROUP) {
          if (inner.id !== tag.id) throw new WireError(`group ${tag.id} is closed by an end-group key of field ${inner.id}`);
          return;
        }
        skipField(reader, inner, end, depth + 1, maxDepth);
      }
    }
    default:
      throw new WireError(`an end-group key of field ${tag.id} without a group`);
  }
}

export function tooDeep(maxDepth: number): WireError {
  return new WireError(`messages are nested deeper than the limit of ${maxDepth}`);
}

/** A fixed-size or varint value must not have read past the end of its message. */
export function checkEnd(reader: protobuf.Reader, end: number, what: string): void {
  if (reader.pos !== end) throw new WireError(`${what} runs past the end of its message`);
}
