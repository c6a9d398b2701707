import { setOwnProperty } from "../core/own-property.js";
import type protobuf from "protobufjs";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { defaultValue } from "./binary.js";
import type { JsonContext } from "./json-context.js";
import { messageInfo, type FieldInfo } from "./message-info.js";
import type { RawMapEntry, RawMessage, RawScalar, RawValue } from "./raw-message.js";
import { ScalarError, formatScalar } from "./scalars.js";
import { wellKnownToJson } from "./well-known-to-json.js";

/**
 * A raw message → its proto3 JSON form: json_name keys (or proto names),
 * 64-bit integers as strings, enums by name, bytes in base64, the well-known
 * types in their special forms. Oneof members and `optional` fields appear
 * only when set; with `emitUnpopulated`, every other field appears (a message
 * field as null), as grpc-gateway writes them.
 */
export function rawToJson(type: protobuf.Type, raw: RawMessage, context: JsonContext): unknown {
  try {
    return messageToJson(type, raw, context);
  } catch (error) {
    if (error instanceof ScalarError) throw new GatewayError(StatusCode.INTERNAL, `the upstream's ${type.fullName.slice(1)} cannot be written as JSON: ${error.message}`);
    throw error;
  }
}

export function messageToJson(type: protobuf.Type, raw: RawMessage, context: JsonContext): unknown {
  const special = wellKnownToJson(type, raw, context);
  if (special !== undefined) return special.json;
  const { options } = context;
  const json: Record<string, unknown> = {};
  for (const field of messageInfo(type).fields) {
    const key = options.useProtoNames ? field.protoName : field.jsonName;
    const value = raw[field.protoName];
    if (value === undefined) {
      if (!options.emitUnpopulated || field.oneof !== undefined || field.optional) continue;
      json[key] = field.map ? {} : field.repeated ? [] : field.kind === "message" ? null : singleToJson(field, defaultValue(field), context);
      continue;
    }
    if (field.map) json[key] = mapToJson(field, value as RawMapEntry[], context);
    else if (field.repeated) json[key] = (value as RawValue[]).map((element) => singleToJson(field, element, context));
    else json[key] = singleToJson(field, value, context);
  }
  return json;
}

export function mapToJson(field: FieldInfo, entries: RawMapEntry[], context: JsonContext): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    setOwnProperty(json, String(key), singleToJson(field, value, context));
  }
  return json;
}

export function singleToJson(field: FieldInfo, value: RawValue, context: JsonContext): unknown {
  if (field.kind === "message") return messageToJson(field.messageType!, value as RawMessage, context);
  if (field.kind === "enum") return field.isNullValue ? null : enumToJson(field.enumType!, value as number, context);
  return formatScalar(field.scalar!, value as RawScalar);
}

function enumToJson(enumType: protobuf.Enum, value: number, context: JsonContext): unknown {
  if (context.options.enumsAsNumbers) return value;
  return enumType.valuesById[value] ?? value;
}
