import protobuf from "protobufjs";
import { setOwnProperty } from "../core/own-property.js";
import { decodeRaw, defaultScalar, defaultValue } from "./binary.js";
import type { JsonContext } from "./json-context.js";
import { messageInfo, scalarWireType, WireType, type FieldInfo, type ScalarType } from "./message-info.js";
import { formatScalar } from "./scalars.js";
import { messageToJson, singleToJson } from "./to-json.js";
import { readBytes, readLength, readString, readTag, skipField } from "./wire-reader.js";

/**
 * Protobuf bytes → proto3 JSON value in one pass, with a reader compiled once
 * per message type (and JSON options): no raw message in between, field
 * handlers resolved at compile time, JSON keys and defaults precomputed.
 *
 * It is a fast path of `rawToJson(decodeRaw(…))`, never a second definition
 * of the mapping: it reads only what it reads exactly as the generic path
 * does, and gives up (throws) on everything else — malformed bytes, too deep
 * nesting, a singular message field sent twice (which merges). The caller
 * then runs the generic path, which returns the same value or throws the
 * precise error. Well-known types inside a message go through the generic
 * path field by field.
 */
export type CompiledReader = (bytes: Uint8Array, maxDepth: number) => unknown;

/** Thrown to hand a message back to the generic path; never escapes `compileReader`'s caller. */
class GiveUp extends Error {}
const giveUp = new GiveUp("compiled reader gave up");

type Reader = protobuf.Reader;

/** One field, compiled. */
interface CompiledField {
  readonly info: FieldInfo;
  readonly index: number;
  readonly key: string;
  /** One scalar or enum value, already in JSON form (message fields are read by readSingle). */
  readonly read: (reader: Reader, end: number) => unknown;
  readonly message: CompiledMessage | undefined;
  /** Indexes of the other members of the field's oneof, cleared when it is set. */
  readonly clears: readonly number[];
  /** The JSON written when the field is absent (emitUnpopulated), or undefined to leave it out. */
  readonly absent: (() => unknown) | undefined;
  /** Map fields: the key's reader (JSON form: a string) and its default. */
  readonly mapKey: (reader: Reader, end: number) => string;
  readonly mapKeyDefault: string;
  readonly mapKeyWire: number;
}

interface CompiledMessage {
  readonly type: protobuf.Type;
  fields: readonly CompiledField[];
  /** By field number, for numbers below `denseLimit`. */
  dense: (CompiledField | undefined)[];
  sparse: Map<number, CompiledField>;
}

const denseLimit = 256;

export function compileReader(type: protobuf.Type, context: JsonContext): CompiledReader | undefined {
  // A well-known type at the top has a JSON form of its own: the generic path writes it.
  if (messageInfo(type).wellKnown) return undefined;
  const compiled = compileMessage(type, context, new Map());
  return (bytes, maxDepth) => {
    const reader = protobuf.Reader.create(bytes);
    return readMessage(compiled, reader, reader.len, 0, maxDepth, context);
  };
}

function compileMessage(type: protobuf.Type, context: JsonContext, done: Map<protobuf.Type, CompiledMessage>): CompiledMessage {
  const existing = done.get(type);
  if (existing !== undefined) return existing;
  const message: CompiledMessage = { type, fields: [], dense: [], sparse: new Map() };
  done.set(type, message);
  const infos = messageInfo(type).fields;
  const fields = infos.map((info, index) => compileField(info, index, infos, context, done));
  message.fields = fields;
  for (const field of fields) {
    if (field.info.id < denseLimit) message.dense[field.info.id] = field;
    else message.sparse.set(field.info.id, field);
  }
  return message;
}

function compileField(info: FieldInfo, index: number, siblings: readonly FieldInfo[], context: JsonContext, done: Map<protobuf.Type, CompiledMessage>): CompiledField {
  const { options } = context;
  const ordinaryMessage = info.kind === "message" && !info.wellKnown;
  const messageType = info.messageType;
  const message = ordinaryMessage && messageType !== undefined ? compileMessage(messageType, context, done) : undefined;
  const clears = info.oneof === undefined ? [] : siblings.flatMap((other, position) => (other !== info && other.oneof === info.oneof ? [position] : []));
  let absent: (() => unknown) | undefined;
  if (options.emitUnpopulated && info.oneof === undefined && !info.optional) {
    if (info.map) absent = () => ({});
    else if (info.repeated) absent = () => [];
    else if (info.kind === "message") absent = () => null;
    else {
      const constant = singleToJson(info, defaultValue(info), context);
      absent = () => constant;
    }
  }
  const mapKey = info.mapKey === undefined ? notAField : mapKeyReader(info.mapKey, info.label);
  return {
    info,
    index,
    key: options.useProtoNames ? info.protoName : info.jsonName,
    read: valueReader(info, context),
    message,
    clears,
    absent,
    mapKey,
    mapKeyDefault: info.mapKey === undefined ? "" : String(defaultScalar(info.mapKey)),
    mapKeyWire: info.mapKey === undefined ? 0 : scalarWireType(info.mapKey),
  };
}

/** Reads one value of a field that is not an ordinary message, in its JSON form. */
/** Stands in for a reader a field does not have (never called: readSingle reads messages, only maps have keys). */
const notAField = (): never => {
  throw giveUp;
};

function valueReader(info: FieldInfo, context: JsonContext): (reader: Reader, end: number) => unknown {
  if (info.kind === "message") return notAField;
  if (info.kind === "enum") {
    if (info.isNullValue)
      return (reader) => {
        reader.int32();
        return null;
      };
    if (context.options.enumsAsNumbers) return (reader) => reader.int32();
    const names = info.enumType?.valuesById ?? {};
    return (reader) => {
      const value = reader.int32();
      return names[value] ?? value;
    };
  }
  return info.scalar === undefined ? notAField : scalarReader(info.scalar, info.label);
}

function scalarReader(scalar: ScalarType, label: string): (reader: Reader, end: number) => unknown {
  switch (scalar) {
    case "double":
      return (reader) => formatScalar("double", reader.double());
    case "float":
      return (reader) => formatScalar("float", reader.float());
    case "int32":
      return (reader) => reader.int32();
    case "uint32":
      return (reader) => reader.uint32();
    case "sint32":
      return (reader) => reader.sint32();
    case "fixed32":
      return (reader) => reader.fixed32();
    case "sfixed32":
      return (reader) => reader.sfixed32();
    case "int64":
      return (reader) => longString(reader.int64());
    case "uint64":
      return (reader) => longString(reader.uint64());
    case "sint64":
      return (reader) => longString(reader.sint64());
    case "fixed64":
      return (reader) => longString(reader.fixed64());
    case "sfixed64":
      return (reader) => longString(reader.sfixed64());
    case "bool":
      return (reader) => reader.bool();
    case "string":
      return (reader, end) => readString(reader, end, label);
    case "bytes":
      return (reader, end) => formatScalar("bytes", readBytes(reader, end, label));
  }
}

/** A map key in JSON form (object keys are strings), as `String(raw key)` writes it. */
function mapKeyReader(scalar: ScalarType, label: string): (reader: Reader, end: number) => string {
  if (scalar === "string") return (reader, end) => readString(reader, end, label);
  const read = scalarReader(scalar, label);
  return (reader, end) => String(read(reader, end));
}

function longString(value: protobuf.Long | number): string {
  return typeof value === "number" ? String(value) : value.toString();
}

function fieldOf(message: CompiledMessage, id: number): CompiledField | undefined {
  return id < denseLimit ? message.dense[id] : message.sparse.get(id);
}

function readMessage(message: CompiledMessage, reader: Reader, end: number, depth: number, maxDepth: number, context: JsonContext): Record<string, unknown> {
  if (depth > maxDepth) throw giveUp;
  const fields = message.fields;
  const slots: unknown[] = new Array(fields.length);
  const buf = reader.buf;
  while (reader.pos < end) {
    let id: number;
    let wireType: number;
    const first = buf[reader.pos] ?? 0x80;
    if (first < 0x80) {
      reader.pos++;
      wireType = first & 7;
      id = first >>> 3;
      if (wireType > WireType.FIXED32 || id === 0) throw giveUp;
    } else {
      const tag = readTag(reader, end);
      id = tag.id;
      wireType = tag.wireType;
    }
    const field = fieldOf(message, id);
    if (field === undefined) {
      skipField(reader, { id, wireType }, end, depth, maxDepth);
      continue;
    }
    const info = field.info;
    if (info.map) {
      if (wireType !== WireType.LENGTH_DELIMITED) throw giveUp;
      const entries = (slots[field.index] ??= {}) as Record<string, unknown>;
      readMapEntry(field, reader, end, entries, depth, maxDepth, context);
    } else if (info.repeated) {
      const packed = wireType === WireType.LENGTH_DELIMITED && info.packable;
      if (wireType !== info.wireType && !packed) throw giveUp;
      const values = (slots[field.index] ??= []) as unknown[];
      if (packed) {
        const packedEnd = readLength(reader, end, info.label) + reader.pos;
        const read = field.read;
        while (reader.pos < packedEnd) values.push(read(reader, packedEnd));
        if (reader.pos !== packedEnd) throw giveUp;
      } else {
        values.push(readSingle(field, reader, end, depth, maxDepth, context));
      }
    } else {
      if (wireType !== info.wireType) throw giveUp;
      // A message field sent twice merges: the generic path does that.
      if (info.kind === "message" && slots[field.index] !== undefined) throw giveUp;
      for (const other of field.clears) slots[other] = undefined;
      slots[field.index] = readSingle(field, reader, end, depth, maxDepth, context);
    }
  }
  if (reader.pos !== end) throw giveUp;
  const json: Record<string, unknown> = {};
  for (const field of fields) {
    const value = slots[field.index];
    if (value !== undefined) json[field.key] = value;
    else if (field.absent !== undefined) json[field.key] = field.absent();
  }
  return json;
}

function readSingle(field: CompiledField, reader: Reader, end: number, depth: number, maxDepth: number, context: JsonContext): unknown {
  const info = field.info;
  if (info.kind !== "message") return field.read(reader, end);
  const length = readLength(reader, end, info.label);
  const nested = field.message;
  if (nested !== undefined) return readMessage(nested, reader, reader.pos + length, depth + 1, maxDepth, context);
  // A well-known type has a JSON form of its own: its bytes go through the generic path, one level deeper, with what is left of the depth limit.
  const type = info.messageType;
  if (type === undefined) throw giveUp;
  const start = reader.pos;
  reader.pos += length;
  return messageToJson(type, decodeRaw(type, reader.buf.subarray(start, start + length), maxDepth - depth - 1), context);
}

/** One map entry (key 1, value 2, either may be missing) into the JSON object; a repeated key keeps its place and takes the last value. */
function readMapEntry(field: CompiledField, reader: Reader, parentEnd: number, entries: Record<string, unknown>, depth: number, maxDepth: number, context: JsonContext): void {
  const info = field.info;
  const end = readLength(reader, parentEnd, info.label) + reader.pos;
  let key = field.mapKeyDefault;
  let value: unknown;
  let hasValue = false;
  while (reader.pos < end) {
    const tag = readTag(reader, end);
    if (tag.id === 1 && tag.wireType === field.mapKeyWire) key = field.mapKey(reader, end);
    else if (tag.id === 2 && tag.wireType === info.wireType) {
      value = readSingle(field, reader, end, depth + 1, maxDepth, context);
      hasValue = true;
    } else if (tag.id === 1 || tag.id === 2) throw giveUp;
    else skipField(reader, tag, end, depth + 1, maxDepth);
  }
  if (reader.pos !== end) throw giveUp;
  if (!hasValue) value = singleToJson(info, defaultValue(info), context);
  setOwnProperty(entries, key, value);
}
