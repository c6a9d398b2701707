import type { HeaderMap } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { BodyShape } from "../../core/body-shape.js";
import type { XmlCodec } from "../../codecs/xml/xml-codec.js";
import { escapeAttribute } from "../../codecs/xml/xml-text.js";
import { canonicalValue } from "../../protojson/message-shape.js";
import { readEnvelope, writeEnvelope } from "../soap-envelope.js";
import { faultToError } from "../soap-fault.js";
import { soap11, soap12, type SoapVersion } from "../soap-version.js";

/** A SOAP operation called on an upstream, resolved once per route. */
export interface SoapCall {
  readonly version: SoapVersion;
  readonly namespace: string;
  readonly operation: string;
  readonly action: string;
}

/** What a SOAP upstream speaks: its version and the namespace of its operation elements. */
export interface SoapService {
  readonly version: "1.1" | "1.2";
  readonly namespace: string;
}

/** The operation one route calls; the action defaults to `<namespace>/<operation>`. */
export interface SoapRoute {
  readonly operation: string;
  readonly action?: string | undefined;
}

export function soapCallOf(service: SoapService, route: SoapRoute): SoapCall {
  const version = service.version === "1.2" ? soap12 : soap11;
  return { version, namespace: service.namespace, operation: route.operation, action: route.action ?? `${service.namespace}/${route.operation}` };
}

/**
 * The request envelope: the value as the operation element in the service's
 * namespace, canonicalised through its message type when it has one. Sets
 * the headers the version asks for (SOAPAction for 1.1, the `action`
 * parameter for 1.2) and Accept.
 */
export function writeSoapRequest(call: SoapCall, value: unknown, shape: BodyShape | undefined, xml: XmlCodec, headers: HeaderMap): Buffer {
  const envelope = writeEnvelope(call.version, xml.toXml(canonicalValue(value, shape), shape, call.operation, ` xmlns="${escapeAttribute(call.namespace)}"`));
  headers.accept = call.version.mediaType;
  if (call.version === soap11) headers.soapaction = `"${call.action}"`;
  headers["content-type"] = call.version === soap11 ? call.version.contentType : `${call.version.contentType}; action="${call.action}"`;
  return envelope;
}

/**
 * The operation's result out of a SOAP response, typed by the shape (an empty
 * Body is `{}`); a Fault becomes the error it stands for, and a reply that is
 * no SOAP envelope or does not fit the shape is the upstream's failure: 502.
 */
export async function readSoapReply(bytes: Uint8Array, xml: XmlCodec, shape: BodyShape | undefined): Promise<unknown> {
  const envelope = await unreadable(async () => readEnvelope(await xml.parse(bytes)));
  if (envelope.isFault && envelope.body !== undefined) throw faultToError(envelope.version, envelope.body.node, xml);
  return unreadable(() => {
    const body = envelope.body;
    return canonicalValue(body === undefined ? {} : xml.toValue({ name: body.name, node: body.node }, shape), shape);
  });
}

async function unreadable<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new GatewayError(StatusCode.INTERNAL, `the upstream's SOAP reply could not be read: ${GatewayError.from(error).message}`, { httpStatus: 502, cause: error });
  }
}
