/**
 * A parsed element as xml2js gives it (explicitArray, `@` attributes, `#`
 * text): a string for an element with text only (or nothing), else an object
 * whose keys are child element names, each with the list of those children.
 * `@` and `#` cannot be XML names, so they never collide with a child.
 */
export type XmlNode = string | XmlElementNode;

export interface XmlElementNode {
  readonly [key: string]: unknown;
}

/** The root element of a document and its qualified name. */
export interface XmlDocument {
  readonly name: string;
  readonly node: XmlNode;
}

const noAttributes: Readonly<Record<string, string>> = Object.freeze({});

export function attributesOf(node: XmlNode): Readonly<Record<string, string>> {
  return typeof node === "string" ? noAttributes : ((node["@"] as Record<string, string> | undefined) ?? noAttributes);
}

/** The element's own text (children's text excluded). */
export function textOf(node: XmlNode): string {
  return typeof node === "string" ? node : ((node["#"] as string | undefined) ?? "");
}

/** Child elements grouped by qualified name, in document order of first appearance. */
export function childrenOf(node: XmlNode): [string, XmlNode[]][] {
  if (typeof node === "string") return [];
  const result: [string, XmlNode[]][] = [];
  for (const key of Object.keys(node)) if (key !== "@" && key !== "#") result.push([key, node[key] as XmlNode[]]);
  return result;
}

export function hasChildren(node: XmlNode): boolean {
  if (typeof node === "string") return false;
  for (const key in node) if (key !== "@" && key !== "#") return true;
  return false;
}

/** `soap:Body` → `Body`. */
export function localName(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

export function prefixOf(name: string): string | undefined {
  const colon = name.indexOf(":");
  return colon < 0 ? undefined : name.slice(0, colon);
}

/** Attributes that are XML machinery, not data: namespace declarations and xsi:*. */
export function isMarkupAttribute(name: string): boolean {
  return name === "xmlns" || name.startsWith("xmlns:") || name.startsWith("xsi:");
}

/** `xsi:nil="true"` (any prefix bound to the instance namespace is accepted by its local name). */
export function isNil(node: XmlNode): boolean {
  const attributes = attributesOf(node);
  for (const name in attributes) if (localName(name) === "nil" && (attributes[name] === "true" || attributes[name] === "1")) return true;
  return false;
}
