import { setOwnProperty } from "../../core/own-property.js";
import { ExactNumber } from "../../core/exact-number.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { DocumentShape } from "../../core/body-shape.js";
import { attributesOf, childrenOf, isMarkupAttribute, localName, textOf, type XmlDocument, type XmlNode } from "./xml-node.js";
import { escapeAttribute, escapeText, isXmlName } from "./xml-text.js";

/**
 * XML ⇄ a value without a schema, by one predictable convention:
 * - the root element's name is dropped (its content is the value);
 * - an element with only text is that string (no number or boolean guessing);
 * - otherwise an object: attributes as `@name`, text beside elements as
 *   `#text`, child elements by local name (namespace prefixes dropped);
 * - a name that repeats among siblings is a list; the shape's `lists` make a
 *   path a list with one or no element too (absent → `[]`).
 * Writing is the inverse; `null` is an empty element.
 */
export function documentToValue(document: XmlDocument, shape: DocumentShape): unknown {
  return decodeElement(document.node, "", shape.lists, listsByParent(shape.lists));
}

const parentCache = new WeakMap<ReadonlySet<string>, Map<string, string[]>>();

function listsByParent(lists: ReadonlySet<string>): Map<string, string[]> {
  let byParent = parentCache.get(lists);
  if (byParent === undefined) {
    byParent = new Map();
    for (const path of lists) {
      const dot = path.lastIndexOf(".");
      const parent = dot < 0 ? "" : path.slice(0, dot);
      byParent.set(parent, [...(byParent.get(parent) ?? []), path.slice(dot + 1)]);
    }
    parentCache.set(lists, byParent);
  }
  return byParent;
}

function decodeElement(node: XmlNode, path: string, lists: ReadonlySet<string>, byParent: Map<string, string[]>): unknown {
  const declared = byParent.get(path);
  if (typeof node === "string" && declared === undefined) return node;
  const result: Record<string, unknown> = {};
  const attributes = attributesOf(node);
  for (const name of Object.keys(attributes)) if (!isMarkupAttribute(name)) setOwnProperty(result, `@${localName(name)}`, attributes[name]);
  const text = textOf(node);
  if (typeof node !== "string" && text.trim() !== "") setOwnProperty(result, "#text", text);
  for (const [name, elements] of childrenOf(node)) {
    const local = localName(name);
    const childPath = path === "" ? local : `${path}.${local}`;
    const values = elements.map((element) => decodeElement(element, childPath, lists, byParent));
    const existing = result[local];
    if (existing !== undefined) setOwnProperty(result, local, [...(Array.isArray(existing) ? existing : [existing]), ...values]);
    else setOwnProperty(result, local, values.length > 1 || lists.has(childPath) ? values : values[0]);
  }
  for (const name of declared ?? []) if (!Object.hasOwn(result, name)) setOwnProperty(result, name, []);
  return result;
}

/** A value → XML under the shape's root element. */
export function valueToDocument(value: unknown, shape: DocumentShape, rootAttributes = ""): string {
  return element(shape.root, value, rootAttributes);
}

function element(name: string, value: unknown, extraAttributes: string): string {
  if (value === null || value === undefined) return `<${name}${extraAttributes}/>`;
  if (Array.isArray(value)) return `<${name}${extraAttributes}>${value.map((item) => element("item", item, "")).join("")}</${name}>`;
  if (typeof value !== "object" || value instanceof ExactNumber) return `<${name}${extraAttributes}>${escapeText(String(value))}</${name}>`;
  let attributes = extraAttributes;
  let content = "";
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith("@")) {
      attributes += ` ${checkName(key.slice(1))}="${escapeAttribute(primitiveText(key, child))}"`;
    } else if (key === "#text") {
      content += escapeText(primitiveText(key, child));
    } else if (Array.isArray(child)) {
      for (const item of child) content += element(checkName(key), item, "");
    } else {
      content += element(checkName(key), child, "");
    }
  }
  return `<${name}${attributes}>${content}</${name}>`;
}

function checkName(name: string): string {
  if (!isXmlName(name)) throw new GatewayError(StatusCode.INVALID_ARGUMENT, `the key "${name}" cannot be an XML name`);
  return name;
}

function primitiveText(key: string, value: unknown): string {
  if (value !== null && typeof value === "object" && !(value instanceof ExactNumber))
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, `"${key}" must be text, a number or a boolean to be written as XML`);
  return value === null || value === undefined ? "" : String(value);
}
