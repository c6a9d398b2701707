import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { XmlDocument } from "./xml-node.js";
import { parseXmlText } from "./xml-parser.js";
import { scanXml, type XmlScanLimits } from "./xml-scan.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

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
  return parseXmlText(text);
}
