import type protobuf from "protobufjs";
import { ExactNumber } from "../core/exact-number.js";
import { encodeRaw } from "./binary.js";
import { JsonMappingError, describe, messageFromJson, singleFromJson } from "./from-json.js";
import { typeNameOfUrl, type JsonContext } from "./json-context.js";
import { messageInfo, type MessageInfo } from "./message-info.js";
import { createRawMessage, type RawMapEntry, type RawMessage, type RawValue } from "./raw-message.js";
import { ScalarError, parseScalar } from "./scalars.js";
import { parseDuration, parseTimestamp } from "./time-formats.js";
import { isWellKnownType } from "./well-known-to-json.js";

/** The raw message of a well-known type from its special JSON form, or undefined for an ordinary message. */
export function wellKnownFromJson(type: protobuf.Type, json: unknown, context: JsonContext, path: string): RawMessage | undefined {
  const info = messageInfo(type);
  if (!info.wellKnown) return undefined;
  const name = info.fullName;
  try {
    return convert(name, type, json, context, path);
  } catch (error) {
    if (error instanceof ScalarError) throw new JsonMappingError(path, error.message);
    throw error;
  }
}

/** Fields are set by number: protobufjs's built-in copies of these types name them in camelCase. */
function convert(name: string, type: protobuf.Type, json: unknown, context: JsonContext, path: string): RawMessage {
  const raw = createRawMessage();
  const info = messageInfo(type);
  const key = (number: number) => info.byId.get(number)!.protoName;
  switch (name) {
    case "google.protobuf.Timestamp":
    case "google.protobuf.Duration": {
      const { seconds, nanos } = name.endsWith("Timestamp") ? parseTimestamp(json) : parseDuration(json);
      if (seconds !== "0") raw[key(1)] = seconds;
      if (nanos !== 0) raw[key(2)] = nanos;
      return raw;
    }
    case "google.protobuf.FieldMask": {
      if (typeof json !== "string") throw new ScalarError(`expected a comma-separated string of field paths, got ${describe(json)}`);
      raw[key(1)] = json === "" ? [] : json.split(",").map((path) => path.trim().split(".").map(toSnakeCase).join("."));
      return raw;
    }
    case "google.protobuf.Empty":
      if (typeof json !== "object" || json === null || Array.isArray(json) || Object.keys(json).length > 0) throw new ScalarError(`expected {} for google.protobuf.Empty, got ${describe(json)}`);
      return raw;
    case "google.protobuf.Struct":
      if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ScalarError(`expected a JSON object for google.protobuf.Struct, got ${describe(json)}`);
      raw[key(1)] = Object.entries(json).map(([key, value]): RawMapEntry => [key, singleFromJson(info.byId.get(1)!, value, context, `${path}.${key}`)!]);
      return raw;
    case "google.protobuf.ListValue":
      if (!Array.isArray(json)) throw new ScalarError(`expected a JSON array for google.protobuf.ListValue, got ${describe(json)}`);
      raw[key(1)] = json.map((value, index): RawValue => singleFromJson(info.byId.get(1)!, value, context, `${path}[${index}]`)!);
      return raw;
    case "google.protobuf.Value":
      return valueFromJson(info, json, context, path);
    case "google.protobuf.Any":
      return anyFromJson(info, json, context, path);
    default: {
      // The wrappers: the JSON is the wrapped value itself.
      const field = info.byId.get(1)!;
      raw[field.protoName] = parseScalar(field.scalar!, json);
      return raw;
    }
  }
}

/** google.protobuf.Value: null_value 1, number_value 2, string_value 3, bool_value 4, struct_value 5, list_value 6. */
function valueFromJson(info: MessageInfo, json: unknown, context: JsonContext, path: string): RawMessage {
  const raw = createRawMessage();
  const field = (number: number) => info.byId.get(number)!;
  if (json === null) raw[field(1).protoName] = 0;
  else if (typeof json === "number") raw[field(2).protoName] = json;
  else if (json instanceof ExactNumber) raw[field(2).protoName] = json.value;
  else if (typeof json === "string") raw[field(3).protoName] = json;
  else if (typeof json === "boolean") raw[field(4).protoName] = json;
  else if (Array.isArray(json)) raw[field(6).protoName] = messageFromJson(field(6).messageType!, json, context, path);
  else if (typeof json === "object") raw[field(5).protoName] = messageFromJson(field(5).messageType!, json, context, path);
  else throw new ScalarError(`${describe(json)} cannot be a google.protobuf.Value`);
  return raw;
}

/** google.protobuf.Any: type_url 1, value 2. */
function anyFromJson(info: MessageInfo, json: unknown, context: JsonContext, path: string): RawMessage {
  const raw = createRawMessage();
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ScalarError(`expected a JSON object with "@type" for google.protobuf.Any, got ${describe(json)}`);
  const { "@type": url, ...fields } = json as Record<string, unknown>;
  if (url === undefined && Object.keys(fields).length === 0) return raw;
  if (typeof url !== "string" || url === "") throw new ScalarError('google.protobuf.Any needs "@type"');
  const inner = context.resolveType(typeNameOfUrl(url));
  if (inner === undefined) throw new ScalarError(`"@type" ${url} is not a type this gateway knows`);
  const innerJson = isWellKnownType(inner.fullName.slice(1)) ? fields.value : fields;
  raw[info.byId.get(1)!.protoName] = url;
  raw[info.byId.get(2)!.protoName] = encodeRaw(inner, messageFromJson(inner, innerJson, context, path));
  return raw;
}

function toSnakeCase(segment: string): string {
  return segment.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
