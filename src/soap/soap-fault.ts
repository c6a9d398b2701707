import { bytesBody } from "../core/body.js";
import type { ResponseEnvelope } from "../core/envelope.js";
import { GatewayError, type ErrorDetail } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { statusShape } from "../core/body-shape.js";
import type { XmlCodec } from "../codecs/xml/xml-codec.js";
import { escapeText } from "../codecs/xml/xml-text.js";
import { childrenOf, localName, textOf, type XmlNode } from "../codecs/xml/xml-node.js";
import { writeEnvelope } from "./soap-envelope.js";
import { SoapProtocolError } from "./soap-protocol-error.js";
import { soap11, type SoapVersion } from "./soap-version.js";

/** Codes that blame the request: SOAP 1.1 Client, SOAP 1.2 Sender. The rest blame the service. */
const senderCodes = new Set<StatusCode>([
  StatusCode.CANCELLED,
  StatusCode.INVALID_ARGUMENT,
  StatusCode.NOT_FOUND,
  StatusCode.ALREADY_EXISTS,
  StatusCode.PERMISSION_DENIED,
  StatusCode.RESOURCE_EXHAUSTED,
  StatusCode.FAILED_PRECONDITION,
  StatusCode.OUT_OF_RANGE,
  StatusCode.UNIMPLEMENTED,
  StatusCode.UNAUTHENTICATED,
]);

/**
 * An error as a Fault in the request's SOAP version, with the
 * google.rpc.Status in the detail. SOAP 1.1 answers every fault with HTTP 500
 * (its HTTP binding says so); SOAP 1.2 answers Sender faults with 400.
 */
export function faultResponse(version: SoapVersion, error: GatewayError, xml: XmlCodec): ResponseEnvelope {
  const kind = error instanceof SoapProtocolError ? error.fault : senderCodes.has(error.code) ? "Sender" : "Receiver";
  const detail = xml.toXml(error.toStatus(), statusShape);
  const message = escapeText(error.message);
  let fault: string;
  if (version === soap11) {
    const code = kind === "Sender" ? "Client" : kind === "Receiver" ? "Server" : kind;
    fault = `<soap:Fault><faultcode>soap:${code}</faultcode><faultstring>${message}</faultstring><detail>${detail}</detail></soap:Fault>`;
  } else {
    fault = `<soap:Fault><soap:Code><soap:Value>soap:${kind}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">${message}</soap:Text></soap:Reason><soap:Detail>${detail}</soap:Detail></soap:Fault>`;
  }
  const status = version === soap11 || kind !== "Sender" ? 500 : 400;
  return { status, headers: { ...error.metadata, "content-type": version.contentType }, body: bytesBody(writeEnvelope(version, fault)), error };
}

/**
 * A Fault from a SOAP upstream → the error the caller gets: Client/Sender →
 * INVALID_ARGUMENT, anything else → INTERNAL (or the code of a
 * google.rpc.Status in the detail, when the upstream is Rosetta too); the
 * fault code rides in an ErrorInfo and the detail, as JSON, in a Struct.
 */
export function faultToError(version: SoapVersion, fault: XmlNode, xml: XmlCodec): GatewayError {
  const child = (node: XmlNode | undefined, name: string) => (node === undefined ? undefined : childrenOf(node).find(([qualified]) => localName(qualified) === name)?.[1][0]);
  const faultCode = version === soap11 ? textOf(child(fault, "faultcode") ?? "") : textOf(child(child(fault, "Code"), "Value") ?? "");
  const reason = version === soap11 ? textOf(child(fault, "faultstring") ?? "") : textOf(child(child(fault, "Reason"), "Text") ?? "");
  const detail = child(fault, version === soap11 ? "detail" : "Detail");
  const kind = localName(faultCode.trim());
  let code = kind === "Client" || kind === "Sender" ? StatusCode.INVALID_ARGUMENT : StatusCode.INTERNAL;
  const details: ErrorDetail[] = [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SOAP_FAULT", domain: "soap", metadata: { faultcode: faultCode.trim() } }];
  if (detail !== undefined && typeof detail !== "string") {
    const status = child(detail, "Status");
    const statusCode = status === undefined ? undefined : Number(textOf(child(status, "code") ?? ""));
    if (statusCode !== undefined && Number.isInteger(statusCode) && statusCode > 0 && statusCode <= 16) code = statusCode as StatusCode;
    details.push({ "@type": "type.googleapis.com/google.protobuf.Struct", value: xml.toValue({ name: "detail", node: detail }, undefined) });
  }
  return new GatewayError(code, reason.trim() === "" ? `SOAP fault ${faultCode.trim()}` : reason.trim(), { details });
}
