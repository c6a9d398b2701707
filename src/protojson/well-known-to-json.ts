import type protobuf from "protobufjs";
import { decodeRaw, defaultScalar } from "./binary.js";
import { typeNameOfUrl, type JsonContext } from "./json-context.js";
import { defaultJsonName, isWellKnownName, messageInfo } from "./message-info.js";
import type { RawMapEntry, RawMessage, RawScalar, RawValue } from "./raw-message.js";
import { ScalarError, formatScalar } from "./scalars.js";
import { formatDuration, formatTimestamp } from "./time-formats.js";
import { mapToJson, messageToJson, singleToJson } from "./to-json.js";

/** The wrapper types, written as their bare scalar. */
export const wrapperTypes: ReadonlySet<string> = new Set([
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

export function isWellKnownType(fullName: string): boolean {
  return isWellKnownName(fullName);
}

/**
 * The raw value of field `number` of a well-known type. Fields are found by
 * number: protobufjs's built-in copies of these types name them in camelCase.
 */
export function fieldOf(type: protobuf.Type, raw: RawMessage, number: number): RawValue | undefined {
  return raw[messageInfo(type).byId.get(number)!.protoName];
}

/** The JSON of a well-known type, or undefined for an ordinary message. */
export function wellKnownToJson(type: protobuf.Type, raw: RawMessage, context: JsonContext): { json: unknown } | undefined {
  const info = messageInfo(type);
  if (!info.wellKnown) return undefined;
  const name = info.fullName;
  if (wrapperTypes.has(name)) {
    const field = messageInfo(type).byId.get(1)!;
    const value = fieldOf(type, raw, 1);
    return { json: formatScalar(field.scalar!, value === undefined ? defaultScalar(field.scalar!) : (value as RawScalar)) };
  }
  switch (name) {
    case "google.protobuf.Timestamp":
      return { json: formatTimestamp(String(fieldOf(type, raw, 1) ?? "0"), Number(fieldOf(type, raw, 2) ?? 0)) };
    case "google.protobuf.Duration":
      return { json: formatDuration(String(fieldOf(type, raw, 1) ?? "0"), Number(fieldOf(type, raw, 2) ?? 0)) };
    case "google.protobuf.FieldMask":
      return { json: ((fieldOf(type, raw, 1) ?? []) as string[]).map((path) => path.split(".").map(defaultJsonName).join(".")).join(",") };
    case "google.protobuf.Empty":
      return { json: {} };
    case "google.protobuf.Struct":
      return { json: mapToJson(messageInfo(type).byId.get(1)!, (fieldOf(type, raw, 1) ?? []) as RawMapEntry[], context) };
    case "google.protobuf.ListValue":
      return { json: listToJson(type, raw, context) };
    case "google.protobuf.Value":
      return { json: valueToJson(type, raw, context) };
    case "google.protobuf.Any":
      return { json: anyToJson(type, raw, context) };
    default:
      return undefined;
  }
}

function listToJson(type: protobuf.Type, raw: RawMessage, context: JsonContext): unknown[] {
  const field = messageInfo(type).byId.get(1)!;
  return ((fieldOf(type, raw, 1) ?? []) as RawValue[]).map((value) => singleToJson(field, value, context));
}

/** google.protobuf.Value: null_value 1, number_value 2, string_value 3, bool_value 4, struct_value 5, list_value 6. */
function valueToJson(type: protobuf.Type, raw: RawMessage, context: JsonContext): unknown {
  const info = messageInfo(type);
  const number = fieldOf(type, raw, 2);
  if (number !== undefined) {
    if (!Number.isFinite(number)) throw new ScalarError(`google.protobuf.Value cannot hold ${String(number)} in JSON`);
    return number;
  }
  const text = fieldOf(type, raw, 3) ?? fieldOf(type, raw, 4);
  if (text !== undefined) return text;
  for (const id of [5, 6]) {
    const nested = fieldOf(type, raw, id);
    if (nested !== undefined) return messageToJson(info.byId.get(id)!.messageType!, nested as RawMessage, context);
  }
  return null;
}

/** google.protobuf.Any: type_url 1, value 2. */
function anyToJson(type: protobuf.Type, raw: RawMessage, context: JsonContext): unknown {
  const url = (fieldOf(type, raw, 1) ?? "") as string;
  if (url === "") return {};
  const inner = context.resolveType(typeNameOfUrl(url));
  if (inner === undefined) throw new ScalarError(`Any holds ${url}, a type this gateway does not know`);
  const value = decodeRaw(inner, (fieldOf(type, raw, 2) ?? new Uint8Array(0)) as Uint8Array);
  const json = messageToJson(inner, value, context);
  if (isWellKnownType(inner.fullName.slice(1))) return { "@type": url, value: json };
  return { "@type": url, ...(json as Record<string, unknown>) };
}
