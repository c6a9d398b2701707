import { headerText, mediaType, type HeaderMap, type ResponseEnvelope } from "../../core/envelope.js";
import type { XmlCodec } from "../../codecs/xml/xml-codec.js";
import { faultResponse } from "../soap-fault.js";
import { soap11, soap12, type SoapVersion } from "../soap-version.js";

/**
 * The SOAP version a caller speaks, judged from its request headers: SOAP 1.2
 * is `application/soap+xml`; SOAP 1.1 is `text/xml` with a SOAPAction header
 * (plain XML callers send no SOAPAction). Undefined for everyone else.
 */
export function soapCallerVersion(headers: HeaderMap): SoapVersion | undefined {
  const type = mediaType(headers["content-type"]);
  if (type === soap12.mediaType) return soap12;
  return type === soap11.mediaType && headerText(headers.soapaction) !== undefined ? soap11 : undefined;
}

/**
 * A failure made before a SOAP endpoint answered (a filter's 401 or 429, no
 * route) as the Fault a SOAP caller can read, instead of a `<Status>`
 * document. The HTTP status stays the error's own, so a 401's
 * WWW-Authenticate or a 429's Retry-After keeps its meaning; the Fault's
 * detail carries the google.rpc.Status as every other Fault does. Anything
 * else (successes, Faults the facade already wrote) is returned unchanged.
 */
export function asFaultForSoapCaller(version: SoapVersion | undefined, response: ResponseEnvelope, xml: XmlCodec): ResponseEnvelope {
  if (version === undefined || response.error === undefined || response.body.kind !== "value") return response;
  const fault = faultResponse(version, response.error, xml);
  return { ...fault, status: response.status, headers: { ...response.headers, ...fault.headers } };
}
