import { setOwnProperty } from "../core/own-property.js";
import type protobuf from "protobufjs";
import { GatewayError } from "../core/gateway-error.js";
import type { RequestEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
import { messageInfo, type FieldInfo } from "./message-info.js";
import { isWellKnownType } from "./well-known-to-json.js";

/** How one binding fills its request message. Built once per route. */
export interface RequestMapping {
  readonly requestType: protobuf.Type;
  /** "*" (the body is the message), a field path in proto names (the body is that field, maybe nested: `payload.value`), or undefined (no body). */
  readonly body: string | undefined;
  /** Field paths (proto names, dotted) bound by the route's path template. */
  readonly pathFields: readonly string[];
  readonly rejectUnknownQuery: boolean;
}

/** What of a request fills its message besides the body (a worker rebuilds it for an offloaded body). */
export type RequestFields = Pick<RequestEnvelope, "params" | "rawQuery" | "query">;

const invalid = (message: string) => new GatewayError(StatusCode.INVALID_ARGUMENT, message);

/**
 * The request message in JSON form, following google.api.http: the body as
 * the rule says, then path variables (which win over the body), then — unless
 * the body is "*" — query parameters for the remaining fields: dotted paths
 * (proto or JSON names), repeated fields by repeating the key, `map[key]=v`.
 * Text values are typed by the field (bool, numbers, enums, bytes, and the
 * well-known types that have a string form); the JSON codec then checks them.
 */
export function buildRequestJson(mapping: RequestMapping, request: RequestFields, bodyJson: unknown): Record<string, unknown> {
  let message: Record<string, unknown>;
  if (mapping.body === "*") {
    if (bodyJson !== undefined && (typeof bodyJson !== "object" || bodyJson === null || Array.isArray(bodyJson))) {
      throw invalid(`the body must be a JSON object for ${mapping.requestType.fullName.slice(1)}`);
    }
    message = { ...(bodyJson as Record<string, unknown> | undefined) };
  } else {
    message = {};
    if (mapping.body !== undefined && bodyJson !== undefined) setNested(message, mapping.body.split("."), bodyJson);
  }
  for (const fieldPath of mapping.pathFields) {
    const value = request.params[fieldPath];
    if (value !== undefined) setPath(mapping.requestType, message, fieldPath.split("."), [value], `path variable {${fieldPath}}`, true);
  }
  if (mapping.body !== "*" && request.rawQuery !== "") applyQuery(mapping, request.query, message);
  return message;
}

/** `a.b.c` → `{ a: { b: { c: value } } }` (proto names; the JSON mapping takes either). */
function setNested(message: Record<string, unknown>, path: string[], value: unknown): void {
  let target = message;
  for (let index = 0; index < path.length - 1; index++) {
    const next: Record<string, unknown> = {};
    target[path[index]!] = next;
    target = next;
  }
  target[path[path.length - 1]!] = value;
}

function applyQuery(mapping: RequestMapping, query: URLSearchParams, message: Record<string, unknown>, label = "query parameter"): void {
  const bound = mapping.body === undefined ? mapping.pathFields : [...mapping.pathFields, mapping.body];
  const seen = new Set<string>();
  for (const key of query.keys()) {
    if (seen.has(key)) continue;
    seen.add(key);
    const segments = parseQueryKey(key);
    if (segments === undefined) throw invalid(`${label} "${key}" is not a field path`);
    // A field the path or the body sets, or anything inside it, is not taken from the query; a sibling
    // of a nested path field is (`/echo/{n_id.n_id}?n_id.val=x` sets both), as in grpc-gateway.
    const names = protoNamesOf(mapping.requestType, segments);
    if (bound.some((path) => overlaps(path, names))) continue;
    setQueryPath(mapping, message, segments, query.getAll(key), `${label} "${key}"`);
  }
}

/** The proto names of a key's segments as far as they name fields (`nId.val` → `n_id.val`). */
function protoNamesOf(type: protobuf.Type, segments: readonly KeySegment[]): string {
  let current: protobuf.Type | undefined = type;
  const names: string[] = [];
  for (const segment of segments) {
    const field: FieldInfo | undefined = current === undefined ? undefined : messageInfo(current).byName.get(segment.name);
    names.push(field?.protoName ?? segment.name);
    current = field?.messageType;
  }
  return names.join(".");
}

/** True when one dotted path is the other or lies inside it. */
function overlaps(bound: string, key: string): boolean {
  return bound === key || key.startsWith(`${bound}.`) || bound.startsWith(`${key}.`);
}

/**
 * An `application/x-www-form-urlencoded` body in JSON form for `type` (the
 * request, or the message field the body fills), read as query parameters
 * are: dotted paths, repeated keys, `map[key]`, typed text values.
 */
export function formToJson(type: protobuf.Type, form: URLSearchParams, rejectUnknown: boolean): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  applyQuery({ requestType: type, body: undefined, pathFields: [], rejectUnknownQuery: rejectUnknown }, form, message, "form field");
  return message;
}

interface KeySegment {
  readonly name: string;
  /** `labels[env]`: the map key. */
  readonly mapKey: string | undefined;
}

/** `a.b`, `labels[env]`, `a.labels[k]` → segments. */
function parseQueryKey(key: string): KeySegment[] | undefined {
  const segments: KeySegment[] = [];
  for (const part of key.split(".")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?$/.exec(part);
    if (match === null) return undefined;
    segments.push({ name: match[1]!, mapKey: match[2] });
  }
  return segments;
}

function setQueryPath(mapping: RequestMapping, message: Record<string, unknown>, segments: KeySegment[], values: string[], what: string): void {
  let type = mapping.requestType;
  let target = message;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    const field = messageInfo(type).byName.get(segment.name);
    if (field === undefined) {
      if (mapping.rejectUnknownQuery) throw invalid(`unknown ${what}: ${type.fullName.slice(1)} has no field "${segment.name}"`);
      return;
    }
    const last = index === segments.length - 1;
    if (segment.mapKey !== undefined) {
      if (!field.map || !last) throw invalid(`${what}: only a map field takes [key]`);
      if (values.length > 1) throw invalid(`${what} is given ${values.length} times for one map entry`);
      const entries = (target[field.jsonName] ??= {}) as Record<string, unknown>;
      setOwnProperty(entries, segment.mapKey, textToJson(field, values[0]!, what));
      return;
    }
    if (last) {
      assignLeaf(field, target, values, what, false);
      return;
    }
    if (field.kind !== "message" || field.repeated || field.map || isWellKnownType(field.messageType!.fullName.slice(1))) {
      throw invalid(`${what}: "${segment.name}" is not a message field`);
    }
    const nested = (target[field.jsonName] ??= {}) as Record<string, unknown>;
    target = nested;
    type = field.messageType!;
  }
}

/** Sets a dotted field path (proto names) from path variables; nested messages are created as needed. */
function setPath(type: protobuf.Type, message: Record<string, unknown>, path: string[], values: string[], what: string, override: boolean): void {
  let currentType = type;
  let target = message;
  for (let index = 0; index < path.length; index++) {
    const field = messageInfo(currentType).byName.get(path[index]!);
    if (field === undefined) throw invalid(`${what}: ${currentType.fullName.slice(1)} has no field "${path[index]}"`);
    // The body may have set the field under its other name; the path variable wins.
    const existingKey = field.protoName in target ? field.protoName : field.jsonName;
    if (index === path.length - 1) {
      if (override && existingKey !== field.jsonName) delete target[existingKey];
      assignLeaf(field, target, values, what, override);
      return;
    }
    const nested = target[existingKey];
    const next = typeof nested === "object" && nested !== null && !Array.isArray(nested) ? { ...(nested as Record<string, unknown>) } : {};
    if (existingKey !== field.jsonName) delete target[existingKey];
    target[field.jsonName] = next;
    target = next;
    currentType = field.messageType!;
  }
}

function assignLeaf(field: FieldInfo, target: Record<string, unknown>, values: string[], what: string, override: boolean): void {
  if (field.map) throw invalid(`${what}: "${field.protoName}" is a map; use ${field.jsonName}[key]=value`);
  if (field.repeated) {
    // A path variable bound to a repeated field holds its values comma-separated (`/v1/true,false`), as grpc-gateway reads it.
    const texts = override ? values.flatMap((value) => value.split(",")) : values;
    target[field.jsonName] = texts.map((value) => textToJson(field, value, what));
    return;
  }
  if (values.length > 1) throw invalid(`${what} is given ${values.length} times for the singular field "${field.protoName}"`);
  if (!override && target[field.jsonName] !== undefined) return;
  target[field.jsonName] = textToJson(field, values[0]!, what);
}

const trueWords = new Set(["true", "True", "TRUE", "t", "T", "1"]);
const falseWords = new Set(["false", "False", "FALSE", "f", "F", "0"]);

/** A path or query text → the JSON value the proto3 JSON parser expects for the field. */
function textToJson(field: FieldInfo, text: string, what: string): unknown {
  if (field.kind === "enum") return enumText(field.enumType!, text, what);
  if (field.kind === "message") {
    const name = field.messageType!.fullName.slice(1);
    if (name === "google.protobuf.BoolValue") return parseBool(text, what);
    if (["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"].includes(name) || (name.endsWith("Value") && name !== "google.protobuf.Value")) return text;
    throw invalid(`${what}: the message field "${field.protoName}" (${name}) cannot be set from text`);
  }
  return field.scalar === "bool" ? parseBool(text, what) : text;
}

/**
 * An enum from text: a number, or a name the enum has. An unknown name is
 * refused here, as grpc-gateway does; in a body it follows rejectUnknownFields.
 */
function enumText(enumType: protobuf.Enum, text: string, what: string): unknown {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (Object.hasOwn(enumType.values, text)) return text;
  throw invalid(`${what}: "${text}" is not a value of ${enumType.fullName.slice(1)} (one of ${Object.keys(enumType.values).join(", ")})`);
}

function parseBool(text: string, what: string): boolean {
  if (trueWords.has(text)) return true;
  if (falseWords.has(text)) return false;
  throw invalid(`${what}: "${text}" is not true or false`);
}
