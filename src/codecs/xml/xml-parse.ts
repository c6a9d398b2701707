import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { XmlDocument } from "./xml-node.js";
import { parseXmlText, type XmlLimits } from "./xml-parser.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Bytes → the root element, within the safety limits. UTF-8 only (a document in
 * another encoding fails with a clear error rather than being misread).
 */
export function parseXml(bytes: Uint8Array, limits: XmlLimits): XmlDocument {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, "XML body is not valid UTF-8");
  }
  if (text.trim() === "") throw new GatewayError(StatusCode.INVALID_ARGUMENT, "invalid XML: the body is empty");
  return parseXmlText(text, limits);
}
