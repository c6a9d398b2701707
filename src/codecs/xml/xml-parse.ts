import xml2js from "xml2js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { XmlDocument, XmlElementNode } from "./xml-node.js";
import { scanXml, type XmlScanLimits } from "./xml-scan.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

// One parser serves every call: xml2js resets it per document and calls back synchronously.
const parser = new xml2js.Parser({ explicitArray: true, explicitRoot: true, attrkey: "@", charkey: "#", emptyTag: "" });

/**
 * Bytes → the root element, after the safety scan. UTF-8 only (a document in
 * another encoding fails with a clear error rather than being misread).
 */
export function parseXml(bytes: Uint8Array, limits: XmlScanLimits): XmlDocument {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  scanXml(buffer, limits);
  let text: string;
  try {
    text = decoder.decode(buffer);
  } catch {
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, "XML body is not valid UTF-8");
  }
  if (text.trim() === "") throw new GatewayError(StatusCode.INVALID_ARGUMENT, "invalid XML: the body is empty");
  let result: Record<string, unknown> | undefined;
  let failure: Error | undefined;
  parser.parseString(text, (error: Error | null, parsed: Record<string, unknown>) => {
    failure = error ?? undefined;
    result = parsed;
  });
  if (failure !== undefined || result === undefined || result === null) throw new GatewayError(StatusCode.INVALID_ARGUMENT, describeParseError(failure));
  const name = Object.keys(result)[0]!;
  const node = result[name] as [XmlElementNode | string] | XmlElementNode | string;
  return { name, node: Array.isArray(node) ? node[0] : node };
}

/** sax's "Unexpected close tag\nLine: 0\nColumn: 12\nChar: >" → "invalid XML at line 1, column 12: unexpected close tag". */
function describeParseError(error: Error | undefined): string {
  if (error === undefined) return "invalid XML: no root element";
  const [reason, ...rest] = error.message.split("\n");
  const line = /Line: (\d+)/.exec(rest.join("\n"));
  const column = /Column: (\d+)/.exec(rest.join("\n"));
  const where = line !== null && column !== null ? ` at line ${Number(line[1]) + 1}, column ${column[1]}` : "";
  const text = reason!.charAt(0).toLowerCase() + reason!.slice(1);
  return `invalid XML${where}: ${text}`;
}
