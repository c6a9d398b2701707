import { setOwnProperty } from "../../core/own-property.js";
import type protobuf from "protobufjs";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { MessageShape } from "../../protojson/message-shape.js";
import { messageInfo, type FieldInfo, type ScalarType } from "../../protojson/message-info.js";
import type { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import { attributesOf, childrenOf, hasChildren, isMarkupAttribute, isNil, localName, textOf, type XmlDocument, type XmlNode } from "./xml-node.js";
import { typeNameOfAnyUrl, xmlWellKnown } from "./xml-well-known.js";

interface DecodeContext {
  readonly rejectUnknown: boolean;
  readonly protoJson: ProtoJsonMapping;
}

function mappingError(path: string, detail: string): GatewayError {
  return new GatewayError(StatusCode.INVALID_ARGUMENT, `${path === "" ? "" : `${path}: `}${detail}`);
}

/**
 * An XML document typed by a message descriptor → the canonical (proto3 JSON)
 * value. Elements are matched to fields by local name (JSON or proto name);
 * a repeated field is a list however many elements it has; text is typed by
 * the field (int64 stays an exact string, enums by name or number, bytes as
 * base64). The root element's name is not checked: callers name it freely.
 */
export function xmlToValue(document: XmlDocument, shape: MessageShape): unknown {
  const context: DecodeContext = { rejectUnknown: shape.protoJson.options.rejectUnknownFields, protoJson: shape.protoJson };
  const field = shape.field;
  if (field === undefined) return decodeMessageValue(shape.type, document.node, "", context);
  if (!field.repeated && !field.map) return decodeSingle(field, document.node, "", context);
  // A repeated field or map as a whole document: one <item> per element or entry.
  const items: XmlNode[] = [];
  for (const [name, elements] of childrenOf(document.node)) {
    if (localName(name) === "item") items.push(...elements);
    else if (context.rejectUnknown) throw mappingError(name, `expected <item> elements for ${field.protoName}`);
  }
  return field.map ? decodeMap(field, items, "", context) : items.map((item, index) => decodeSingle(field, item, `[${index}]`, context));
}

function decodeMessageValue(type: protobuf.Type, node: XmlNode, path: string, context: DecodeContext): unknown {
  const special = xmlWellKnown(type);
  if (special === undefined) return decodeMessage(type, node, path, context, undefined);
  switch (special.kind) {
    case "text":
      return expectText(node, path, type.fullName.slice(1)).trim();
    case "wrapper":
      return decodeScalarOrEnum(special.inner, node, path);
    case "json":
      return parseJsonText(expectText(node, path, type.fullName.slice(1)), path);
    case "empty":
      return decodeMessage(type, node, path, context, undefined);
    case "any":
      return decodeAny(node, path, context);
  }
}

function decodeMessage(type: protobuf.Type, node: XmlNode, path: string, context: DecodeContext, typeAttribute: string | undefined): Record<string, unknown> {
  const info = messageInfo(type);
  const result: Record<string, unknown> = {};
  if (typeof node === "string") {
    if (node.trim() !== "") throw mappingError(path, `expected child elements for ${info.fullName}, found text`);
    return result;
  }
  if (context.rejectUnknown) {
    for (const name of Object.keys(attributesOf(node))) {
      if (!isMarkupAttribute(name) && name !== typeAttribute) throw mappingError(path, `unknown attribute "${name}" on ${info.fullName}`);
    }
    if (textOf(node).trim() !== "") throw mappingError(path, `unexpected text in ${info.fullName}`);
  }
  for (const [name, elements] of childrenOf(node)) {
    const local = localName(name);
    const fieldPath = path === "" ? local : `${path}.${local}`;
    const field = info.byName.get(local);
    if (field === undefined) {
      if (context.rejectUnknown) throw mappingError(fieldPath, `unknown field "${local}" in ${info.fullName}`);
      continue;
    }
    if (Object.hasOwn(result, field.jsonName)) throw mappingError(fieldPath, `field ${field.protoName} is given under two names`);
    if (field.map) result[field.jsonName] = decodeMap(field, elements, fieldPath, context);
    else if (field.repeated) result[field.jsonName] = decodeList(field, elements, fieldPath, context);
    else if (elements.length > 1) throw mappingError(fieldPath, `"${local}" appears ${elements.length} times but ${field.protoName} is not repeated`);
    else result[field.jsonName] = decodeSingle(field, elements[0]!, fieldPath, context);
  }
  return result;
}

/** A repeated field's elements; plain text elements of a string field are their values as they are (no path built per element). */
function decodeList(field: FieldInfo, elements: XmlNode[], path: string, context: DecodeContext): unknown[] {
  const plainStrings = field.kind === "scalar" && field.scalar === "string";
  const values = new Array<unknown>(elements.length);
  for (let index = 0; index < elements.length; index++) {
    const element = elements[index]!;
    values[index] = plainStrings && typeof element === "string" ? element : decodeSingle(field, element, `${path}[${index}]`, context);
  }
  return values;
}

/** A map is a list of `<field><key>k</key><value>v</value></field>` entries, like the entries on the wire. */
function decodeMap(field: FieldInfo, entries: XmlNode[], path: string, context: DecodeContext): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const plainStrings = field.kind === "scalar" && field.scalar === "string";
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    let key: string | undefined;
    let value: unknown;
    // The entry's element children only ("@" attributes and "#" text are not elements).
    if (typeof entry !== "string") {
      for (const name in entry) {
        if (name === "@" || name === "#") continue;
        const elements = entry[name] as XmlNode[];
        const local = localName(name);
        if (elements.length > 1) throw mappingError(`${path}[${index}]`, `a map entry has ${elements.length} <${local}> elements`);
        const element = elements[0]!;
        if (local === "key") key = (typeof element === "string" ? element : expectText(element, `${path}[${index}].key`, "a map key")).trim();
        else if (local === "value") value = plainStrings && typeof element === "string" ? element : decodeSingle(field, element, `${path}[${index}].value`, context);
        else if (context.rejectUnknown) throw mappingError(`${path}[${index}]`, `a map entry takes <key> and <value>, not <${local}>`);
      }
    }
    if (key === undefined) throw mappingError(`${path}[${index}]`, "a map entry has no <key>");
    setOwnProperty(result, key, value === undefined ? defaultMapValue(field) : value);
  }
  return result;
}

function defaultMapValue(field: FieldInfo): unknown {
  if (field.kind === "message") return {};
  if (field.kind === "enum") return 0;
  return field.scalar === "bool" ? false : field.scalar === "string" || field.scalar === "bytes" ? "" : 0;
}

function decodeSingle(field: FieldInfo, node: XmlNode, path: string, context: DecodeContext): unknown {
  // Text alone has no attributes, so it cannot be xsi:nil.
  if (typeof node === "string" && field.kind === "scalar") return decodeScalar(field.scalar!, node, path);
  if (isNil(node)) return null;
  if (field.kind === "message") return decodeMessageValue(field.messageType!, node, path, context);
  return decodeScalarOrEnum(field, node, path);
}

function decodeScalarOrEnum(field: FieldInfo, node: XmlNode, path: string): unknown {
  if (isNil(node)) return null;
  const text = expectText(node, path, field.kind === "enum" ? "an enum" : field.scalar!);
  if (field.kind === "enum") {
    const trimmed = text.trim();
    return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  }
  return decodeScalar(field.scalar!, text, path);
}

const integerText = /^[+-]?\d+$/;
const decimalText = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Element text → the proto3 JSON value; XML Schema spellings (INF, 1/0 for booleans) are accepted. */
function decodeScalar(scalar: ScalarType, text: string, path: string): unknown {
  if (scalar === "string") return text;
  const trimmed = text.trim();
  switch (scalar) {
    case "bytes":
      return trimmed.replace(/\s+/g, "");
    case "bool":
      if (trimmed === "true" || trimmed === "1") return true;
      if (trimmed === "false" || trimmed === "0") return false;
      throw mappingError(path, `"${trimmed}" is not a boolean (true, false, 1 or 0)`);
    case "double":
    case "float":
      if (trimmed === "INF" || trimmed === "+INF" || trimmed === "Infinity") return "Infinity";
      if (trimmed === "-INF" || trimmed === "-Infinity") return "-Infinity";
      if (trimmed === "NaN") return "NaN";
      if (!decimalText.test(trimmed)) throw mappingError(path, `"${trimmed}" is not a number`);
      return Number(trimmed);
    case "int64":
    case "uint64":
    case "sint64":
    case "fixed64":
    case "sfixed64":
      if (!integerText.test(trimmed)) throw mappingError(path, `"${trimmed}" is not an integer`);
      // Kept as text: an int64 must not pass through a double.
      return trimmed.startsWith("+") ? trimmed.slice(1) : trimmed;
    default:
      if (!integerText.test(trimmed)) throw mappingError(path, `"${trimmed}" is not an integer`);
      return Number(trimmed);
  }
}

function expectText(node: XmlNode, path: string, what: string): string {
  if (hasChildren(node)) throw mappingError(path, `expected text for ${what}, found child elements`);
  return textOf(node);
}

function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__") throw new Error("forbidden key");
      return value;
    });
  } catch {
    throw mappingError(path, "expected the JSON form of a google.protobuf.Struct/Value/ListValue as text");
  }
}

/** `<x type="type.googleapis.com/pkg.Msg">` with the packed message's fields, or `<value>` for a well-known type. */
function decodeAny(node: XmlNode, path: string, context: DecodeContext): unknown {
  const attributes = attributesOf(node);
  const attribute = Object.keys(attributes).find((name) => localName(name) === "type" && !isMarkupAttribute(name));
  if (attribute === undefined) {
    if (!hasChildren(node) && textOf(node).trim() === "") return {};
    throw mappingError(path, 'a google.protobuf.Any needs a type="type.googleapis.com/<message>" attribute');
  }
  const url = attributes[attribute]!;
  const inner = context.protoJson.findType(typeNameOfAnyUrl(url));
  if (inner === undefined) throw mappingError(path, `the Any type "${url}" is not in the loaded protos`);
  if (xmlWellKnown(inner) !== undefined) {
    const value = childrenOf(node).find(([name]) => localName(name) === "value")?.[1][0];
    return { "@type": url, value: value === undefined ? undefined : decodeMessageValue(inner, value, `${path}.value`, context) };
  }
  return { "@type": url, ...decodeMessage(inner, node, path, context, attribute) };
}
