import protobuf from "protobufjs";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { messageInfo, scalarWireType, WireType, type FieldInfo, type ScalarType } from "./message-info.js";
import { WireError, checkEnd, defaultMaxDepth, readBytes, readLength, readString, readTag, skipField, tooDeep } from "./wire-reader.js";
import { createRawMessage, type RawMapEntry, type RawMessage, type RawScalar, type RawValue } from "./raw-message.js";

// 64-bit values travel as decimal strings: protobufjs's Writer parses them with Long,
// wrapping modulo 2^64, so uint64 values above 2^63 keep their bits.

/**
 * Reads a protobuf message into its raw form, strictly (wire-reader.ts):
 * malformed bytes, a wire type that does not fit the field, or nesting
 * deeper than `maxDepth` are refused. Unknown fields are skipped; repeated
 * singular fields follow "last one wins", messages merge.
 */
export function decodeRaw(type: protobuf.Type, bytes: Uint8Array, maxDepth = defaultMaxDepth): RawMessage {
  const reader = protobuf.Reader.create(bytes);
  try {
    return readMessage(type, reader, reader.len, undefined, 0, maxDepth);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError(StatusCode.INTERNAL, `malformed ${type.fullName.slice(1)} message: ${(error as Error).message}`);
  }
}

function readMessage(type: protobuf.Type, reader: protobuf.Reader, end: number, into: RawMessage | undefined, depth: number, maxDepth: number): RawMessage {
  if (depth > maxDepth) throw tooDeep(maxDepth);
  const info = messageInfo(type);
  const message = into ?? createRawMessage();
  while (reader.pos < end) {
    const tag = readTag(reader, end);
    const field = info.byId.get(tag.id);
    if (field === undefined) {
      skipField(reader, tag, end, depth, maxDepth);
      continue;
    }
    const name = field.protoName;
    const packed = tag.wireType === WireType.LENGTH_DELIMITED && field.packable;
    const expected = field.map ? WireType.LENGTH_DELIMITED : field.wireType;
    if (tag.wireType !== expected && !packed) {
      throw new WireError(`field ${tag.id} (${name}) has wire type ${tag.wireType}, not ${expected}`);
    }
    if (field.map) {
      const entries = (message[name] ??= []) as RawMapEntry[];
      entries.push(readMapEntry(field, reader, end, depth, maxDepth));
    } else if (field.repeated) {
      const values = (message[name] ??= []) as RawValue[];
      if (packed) {
        const packedEnd = readLength(reader, end, `packed field ${tag.id} (${name})`) + reader.pos;
        while (reader.pos < packedEnd) values.push(readValue(field, reader, packedEnd, message, depth, maxDepth));
        checkEnd(reader, packedEnd, `packed field ${tag.id} (${name})`);
      } else {
        values.push(readValue(field, reader, end, message, depth, maxDepth));
      }
    } else {
      if (field.oneof !== undefined) clearOneof(info.fields, field, message);
      message[name] = readValue(field, reader, end, message, depth, maxDepth);
    }
  }
  if (reader.pos !== end) checkEnd(reader, end, info.lastFieldLabel);
  return message;
}

function clearOneof(fields: readonly FieldInfo[], chosen: FieldInfo, message: RawMessage): void {
  for (const other of fields) if (other !== chosen && other.oneof === chosen.oneof && other.protoName in message) delete message[other.protoName];
}

function readValue(field: FieldInfo, reader: protobuf.Reader, end: number, parent: RawMessage, depth: number, maxDepth: number): RawValue {
  if (field.kind === "enum") return reader.int32();
  if (field.kind === "message") {
    const length = readLength(reader, end, field.label);
    const existing = field.repeated ? undefined : (parent[field.protoName] as RawMessage | undefined);
    return readMessage(field.messageType!, reader, reader.pos + length, existing, depth + 1, maxDepth);
  }
  return readScalar(field.scalar!, reader, end, field);
}

function readScalar(scalar: ScalarType, reader: protobuf.Reader, end: number, field: FieldInfo): RawScalar {
  switch (scalar) {
    case "double":
      return reader.double();
    case "float":
      return reader.float();
    case "int32":
      return reader.int32();
    case "uint32":
      return reader.uint32();
    case "sint32":
      return reader.sint32();
    case "fixed32":
      return reader.fixed32();
    case "sfixed32":
      return reader.sfixed32();
    case "int64":
      return longString(reader.int64());
    case "uint64":
      return longString(reader.uint64());
    case "sint64":
      return longString(reader.sint64());
    case "fixed64":
      return longString(reader.fixed64());
    case "sfixed64":
      return longString(reader.sfixed64());
    case "bool":
      return reader.bool();
    case "string":
      return readString(reader, end, field.label);
    case "bytes":
      return readBytes(reader, end, field.label);
  }
}

function longString(value: protobuf.Long | number): string {
  return typeof value === "number" ? String(value) : value.toString();
}

function readMapEntry(field: FieldInfo, reader: protobuf.Reader, parentEnd: number, depth: number, maxDepth: number): RawMapEntry {
  const what = `map field ${field.id} (${field.protoName})`;
  const end = readLength(reader, parentEnd, what) + reader.pos;
  let key: RawScalar = defaultScalar(field.mapKey!);
  let value: RawValue | undefined;
  while (reader.pos < end) {
    const tag = readTag(reader, end);
    if (tag.id === 1 && tag.wireType === scalarWireType(field.mapKey!)) key = readScalar(field.mapKey!, reader, end, field);
    else if (tag.id === 2 && tag.wireType === field.wireType) value = readValue(field, reader, end, createRawMessage(), depth + 1, maxDepth);
    else if (tag.id === 1 || tag.id === 2) throw new WireError(`${what}: entry field ${tag.id} has wire type ${tag.wireType}`);
    else skipField(reader, tag, end, depth + 1, maxDepth);
  }
  checkEnd(reader, end, `an entry of ${what}`);
  return [key, value ?? defaultValue(field)];
}

/** The proto3 default of a singular field (a message's default is an empty message). */
export function defaultValue(field: FieldInfo): RawValue {
  if (field.kind === "enum") return 0;
  if (field.kind === "message") return createRawMessage();
  return defaultScalar(field.scalar!);
}

export function defaultScalar(scalar: ScalarType): RawScalar {
  switch (scalar) {
    case "bool":
      return false;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    case "int64":
    case "uint64":
    case "sint64":
    case "fixed64":
    case "sfixed64":
      return "0";
    default:
      return 0;
  }
}

/** Writes a raw message as protobuf. Implicit-presence fields at their default are left out, as proto3 prescribes. */
export function encodeRaw(type: protobuf.Type, message: RawMessage): Uint8Array {
  const writer = protobuf.Writer.create();
  writeMessage(type, message, writer);
  return writer.finish();
}

function writeMessage(type: protobuf.Type, message: RawMessage, writer: protobuf.Writer): void {
  for (const field of messageInfo(type).fields) {
    const value = message[field.protoName];
    if (value === undefined) continue;
    if (field.map) {
      for (const [key, entryValue] of value as RawMapEntry[]) {
        writer.uint32((field.id << 3) | WireType.LENGTH_DELIMITED).fork();
        writeScalar(field.mapKey!, key, 1, writer);
        writeValue(field, entryValue, 2, writer);
        writer.ldelim();
      }
    } else if (field.repeated) {
      const values = value as RawValue[];
      if (values.length === 0) continue;
      if (field.packable) {
        writer.uint32((field.id << 3) | WireType.LENGTH_DELIMITED).fork();
        for (const element of values) writeBare(field, element, writer);
        writer.ldelim();
      } else {
        for (const element of values) writeValue(field, element, field.id, writer);
      }
    } else {
      if (!field.tracksPresence && isDefault(value)) continue;
      writeValue(field, value, field.id, writer);
    }
  }
}

function isDefault(value: RawValue): boolean {
  if (value instanceof Uint8Array) return value.byteLength === 0;
  return value === 0 || value === false || value === "" || value === "0" ? !Object.is(value, -0) : false;
}

function writeValue(field: FieldInfo, value: RawValue, id: number, writer: protobuf.Writer): void {
  if (field.kind === "message") {
    writer.uint32((id << 3) | WireType.LENGTH_DELIMITED).fork();
    writeMessage(field.messageType!, value as RawMessage, writer);
    writer.ldelim();
    return;
  }
  if (field.kind === "enum") {
    writer.uint32((id << 3) | WireType.VARINT).int32(value as number);
    return;
  }
  writeScalar(field.scalar!, value as RawScalar, id, writer);
}

function writeBare(field: FieldInfo, value: RawValue, writer: protobuf.Writer): void {
  if (field.kind === "enum") writer.int32(value as number);
  else writeScalarValue(field.scalar!, value as RawScalar, writer);
}

function writeScalar(scalar: ScalarType, value: RawScalar, id: number, writer: protobuf.Writer): void {
  writer.uint32((id << 3) | scalarWireType(scalar));
  writeScalarValue(scalar, value, writer);
}

function writeScalarValue(scalar: ScalarType, value: RawScalar, writer: protobuf.Writer): void {
  switch (scalar) {
    case "double":
      writer.double(value as number);
      return;
    case "float":
      writer.float(value as number);
      return;
    case "int32":
      writer.int32(value as number);
      return;
    case "uint32":
      writer.uint32(value as number);
      return;
    case "sint32":
      writer.sint32(value as number);
      return;
    case "fixed32":
      writer.fixed32(value as number);
      return;
    case "sfixed32":
      writer.sfixed32(value as number);
      return;
    case "int64":
      writer.int64(value as string);
      return;
    case "uint64":
      writer.uint64(value as string);
      return;
    case "sint64":
      writer.sint64(value as string);
      return;
    case "fixed64":
      writer.fixed64(value as string);
      return;
    case "sfixed64":
      writer.sfixed64(value as string);
      return;
    case "bool":
      writer.bool(value as boolean);
      return;
    case "string":
      writer.string(value as string);
      return;
    case "bytes":
      writer.bytes(value as Uint8Array);
      return;
  }
}
