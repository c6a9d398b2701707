import type protobuf from "protobufjs";
import { ExactNumber } from "../core/exact-number.js";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import type { JsonContext } from "./json-context.js";
import { messageInfo, type FieldInfo } from "./message-info.js";
import { createRawMessage, type RawMapEntry, type RawMessage, type RawValue } from "./raw-message.js";
import { ScalarError, parseMapKey, parseScalar } from "./scalars.js";
import { wellKnownFromJson } from "./well-known-from-json.js";

/** A JSON value that does not fit the message, with the JSON path of the offending field. */
export class JsonMappingError extends GatewayError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(StatusCode.INVALID_ARGUMENT, `${path === "" ? "" : `${path}: `}${detail}`);
  }
}

/**
 * Proto3 JSON → raw message. Both the json_name and the proto name of a
 * field are accepted (but not both at once); null means "not set"; two
 * members of one oneof are refused; every value is checked against its field
 * type (ranges included) and a failure names the field path.
 */
export function jsonToRaw(type: protobuf.Type, json: unknown, context: JsonContext, path = ""): RawMessage {
  try {
    return messageFromJson(type, json, context, path);
  } catch (error) {
    if (error instanceof ScalarError) throw new JsonMappingError(path, error.message);
    throw error;
  }
}

export function messageFromJson(type: protobuf.Type, json: unknown, context: JsonContext, path: string): RawMessage {
  const special = wellKnownFromJson(type, json, context, path);
  if (special !== undefined) return special;
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new JsonMappingError(path, `expected a JSON object for ${type.fullName.slice(1)}, got ${describe(json)}`);
  }
  const info = messageInfo(type);
  const raw = createRawMessage();
  // Made only for a message that sets a oneof member: most never do.
  let oneofs: Map<string, string> | undefined;
  for (const [key, value] of Object.entries(json)) {
    const field = info.byName.get(key);
    const fieldPath = path === "" ? key : `${path}.${key}`;
    if (field === undefined) {
      if (context.options.rejectUnknownFields) throw new JsonMappingError(fieldPath, `unknown field "${key}" in ${info.fullName}`);
      continue;
    }
    if (field.protoName in raw) throw new JsonMappingError(fieldPath, `field ${field.protoName} is given twice (as "${field.jsonName}" and "${field.protoName}")`);
    if (value === null && !acceptsNull(field)) continue;
    if (field.oneof !== undefined) {
      oneofs ??= new Map<string, string>();
      const taken = oneofs.get(field.oneof);
      if (taken !== undefined) throw new JsonMappingError(fieldPath, `oneof ${field.oneof} already has ${taken}; only one member may be set`);
      oneofs.set(field.oneof, key);
    }
    const converted = fieldFromJson(field, value, context, fieldPath);
    if (converted !== undefined) raw[field.protoName] = converted;
  }
  return raw;
}

/** A null for a google.protobuf.Value field is the JSON null value, not "unset". */
function acceptsNull(field: FieldInfo): boolean {
  return !field.repeated && !field.map && (field.isValue || field.isNullValue);
}

function fieldFromJson(field: FieldInfo, value: unknown, context: JsonContext, path: string): RawValue | undefined {
  if (field.map) {
    if (typeof value !== "object" || Array.isArray(value)) throw new JsonMappingError(path, `expected a JSON object (map), got ${describe(value)}`);
    const entries: RawMapEntry[] = [];
    for (const [key, element] of Object.entries(value as object)) {
      const elementPath = `${path}[${JSON.stringify(key)}]`;
      const single = singleFromJson(field, element, context, elementPath);
      if (single !== undefined) entries.push([wrapScalar(() => parseMapKey(field.mapKey!, key), elementPath), single]);
    }
    return entries;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new JsonMappingError(path, `expected a JSON array, got ${describe(value)}`);
    const values: RawValue[] = [];
    value.forEach((element, index) => {
      if (element === null && !field.isValue) throw new JsonMappingError(`${path}[${index}]`, "null is not allowed in a repeated field");
      const single = singleFromJson(field, element, context, `${path}[${index}]`);
      if (single !== undefined) values.push(single);
    });
    return values;
  }
  return singleFromJson(field, value, context, path);
}

/** One value of a field; undefined when it is dropped (an unknown enum name in lenient mode). */
export function singleFromJson(field: FieldInfo, value: unknown, context: JsonContext, path: string): RawValue | undefined {
  if (field.kind === "message") return messageFromJson(field.messageType!, value, context, path);
  if (field.kind === "enum") return field.isNullValue && value === null ? 0 : enumFromJson(field.enumType!, value, context, path);
  return wrapScalar(() => parseScalar(field.scalar!, value), path, field.scalar);
}

function enumFromJson(enumType: protobuf.Enum, value: unknown, context: JsonContext, path: string): number | undefined {
  if (typeof value === "string") {
    const number = enumType.values[value];
    if (number !== undefined) return number;
    if (!context.options.rejectUnknownFields && !/^-?\d+$/.test(value)) return undefined;
    if (/^-?\d+$/.test(value)) return wrapScalar(() => parseScalar("int32", value) as number, path);
    throw new JsonMappingError(path, `"${value}" is not a value of ${enumType.fullName.slice(1)} (one of ${Object.keys(enumType.values).join(", ")})`);
  }
  if (typeof value === "number" || value instanceof ExactNumber) return wrapScalar(() => parseScalar("int32", value) as number, path);
  throw new JsonMappingError(path, `expected an enum name or number for ${enumType.fullName.slice(1)}, got ${describe(value)}`);
}

function wrapScalar<T>(parse: () => T, path: string, scalar?: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ScalarError) throw new JsonMappingError(path, scalar === undefined || error.message.endsWith(` ${scalar}`) ? error.message : `${error.message} (${scalar})`);
    throw error;
  }
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof ExactNumber) return `number ${value.text}`;
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}
