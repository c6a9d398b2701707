import type protobuf from "protobufjs";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { MessageShape } from "../../protojson/message-shape.js";
import { messageInfo, type FieldInfo, type ScalarType } from "../../protojson/message-info.js";
import type { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import { escapeAttribute, escapeText } from "./xml-text.js";
import { typeNameOfAnyUrl, xmlWellKnown } from "./xml-well-known.js";

/**
 * A canonical value typed by a message descriptor → XML, the inverse of
 * xmlToValue: fields in declaration order (what the generated XSD's
 * xs:sequence says), one element per list entry, map entries as
 * `<field><key/><value/></field>`, unset fields left out. The root is the
 * message's simple name unless the caller names it (a SOAP wrapper), or the
 * field's name for a response_body field.
 */
export function valueToXml(value: unknown, shape: MessageShape, rootName?: string, rootAttributes = ""): string {
  const protoJson = shape.protoJson;
  const field = shape.field;
  if (field === undefined) {
    const name = rootName ?? shape.type.name;
    return `<${name}${rootAttributes}${messageValueBody(shape.type, value, protoJson)}</${name}>`;
  }
  const name = rootName ?? (protoJson.options.useProtoNames ? field.protoName : field.jsonName);
  if (!field.repeated && !field.map) return single(field, name, value, protoJson, rootAttributes);
  let content = "";
  if (field.map) for (const [key, entry] of Object.entries(value as Record<string, unknown>)) content += mapEntry(field, "item", key, entry, protoJson);
  else for (const item of value as unknown[]) content += single(field, "item", item, protoJson, "");
  return `<${name}${rootAttributes}>${content}</${name}>`;
}

/** `>content` of a message element, so an Any can put its type attribute before the `>`. */
function messageValueBody(type: protobuf.Type, value: unknown, protoJson: ProtoJsonMapping): string {
  const special = xmlWellKnown(type);
  if (special === undefined) return `>${messageContent(type, value as Record<string, unknown>, protoJson)}`;
  switch (special.kind) {
    case "text":
      return `>${escapeText(String(value))}`;
    case "wrapper":
      return `>${scalarText(special.inner, value)}`;
    case "json":
      return `>${escapeText(JSON.stringify(value))}`;
    case "empty":
      return ">";
    case "any":
      return anyBody(value as Record<string, unknown>, protoJson);
  }
}

/** A field's element tags under either name, built once per message type rather than per value. */
interface FieldWriter {
  readonly field: FieldInfo;
  readonly jsonTags: Tags;
  readonly protoTags: Tags;
}

interface Tags {
  readonly name: string;
  readonly open: string;
  readonly close: string;
}

const writers = new WeakMap<protobuf.Type, readonly FieldWriter[]>();

function tags(name: string): Tags {
  return { name, open: `<${name}>`, close: `</${name}>` };
}

function writersOf(type: protobuf.Type): readonly FieldWriter[] {
  let found = writers.get(type);
  if (found === undefined) {
    found = messageInfo(type).fields.map((field) => ({ field, jsonTags: tags(field.jsonName), protoTags: tags(field.protoName) }));
    writers.set(type, found);
  }
  return found;
}

function messageContent(type: protobuf.Type, value: Record<string, unknown>, protoJson: ProtoJsonMapping): string {
  let out = "";
  for (const writer of writersOf(type)) {
    const field = writer.field;
    let names = writer.jsonTags;
    let fieldValue = value[names.name];
    if (fieldValue === undefined && field.protoName !== names.name) {
      names = writer.protoTags;
      fieldValue = value[names.name];
    }
    if (fieldValue === undefined || fieldValue === null) continue;
    if (field.map) {
      const entries = fieldValue as Record<string, unknown>;
      for (const key in entries) {
        if (Object.hasOwn(entries, key)) out += `${names.open}<key>${escapeText(key)}</key>${single(field, "value", entries[key], protoJson, "")}${names.close}`;
      }
    } else if (field.repeated) {
      for (const item of fieldValue as unknown[])
        out += item === null || field.kind === "message" ? single(field, names.name, item, protoJson, "") : names.open + scalarText(field, item) + names.close;
    } else if (field.kind === "message") {
      out += single(field, names.name, fieldValue, protoJson, "");
    } else {
      out += names.open + scalarText(field, fieldValue) + names.close;
    }
  }
  return out;
}

function mapEntry(field: FieldInfo, name: string, key: string, value: unknown, protoJson: ProtoJsonMapping): string {
  return `<${name}><key>${escapeText(key)}</key>${single(field, "value", value, protoJson, "")}</${name}>`;
}

function single(field: FieldInfo, name: string, value: unknown, protoJson: ProtoJsonMapping, attributes: string): string {
  if (value === null) return `<${name}${attributes} xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>`;
  if (field.kind === "message") return `<${name}${attributes}${messageValueBody(field.messageType!, value, protoJson)}</${name}>`;
  return `<${name}${attributes}>${scalarText(field, value)}</${name}>`;
}

function scalarText(field: FieldInfo, value: unknown): string {
  if (field.kind === "enum") return escapeText(String(value));
  return formatScalar(field.scalar!, value);
}

/** Numbers in XML Schema spelling: INF, -INF, NaN. */
function formatScalar(scalar: ScalarType, value: unknown): string {
  if (scalar === "double" || scalar === "float") {
    if (value === "Infinity" || value === Infinity) return "INF";
    if (value === "-Infinity" || value === -Infinity) return "-INF";
  }
  return typeof value === "string" ? escapeText(value) : String(value);
}

function anyBody(value: Record<string, unknown>, protoJson: ProtoJsonMapping): string {
  const url = value["@type"];
  if (typeof url !== "string") return Object.keys(value).length === 0 ? ">" : invalidAny("it has no @type");
  const inner = protoJson.findType(typeNameOfAnyUrl(url));
  if (inner === undefined) return invalidAny(`the type "${url}" is not in the loaded protos`);
  const head = ` type="${escapeAttribute(url)}">`;
  if (xmlWellKnown(inner) !== undefined) return `${head}<value${messageValueBody(inner, value.value, protoJson)}</value>`;
  return `${head}${messageContent(inner, value, protoJson)}`;
}

function invalidAny(reason: string): never {
  throw new GatewayError(StatusCode.INVALID_ARGUMENT, `a google.protobuf.Any cannot be written as XML: ${reason}`);
}
