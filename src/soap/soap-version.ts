/** The two SOAP versions: told apart by the envelope namespace and the HTTP media type. */
export interface SoapVersion {
  readonly name: "1.1" | "1.2";
  readonly envelopeNamespace: string;
  readonly mediaType: string;
  /** What Rosetta writes in Content-Type (1.2 callers add `; action="…"` when they send). */
  readonly contentType: string;
}

export const soap11: SoapVersion = Object.freeze({ name: "1.1", envelopeNamespace: "http://schemas.xmlsoap.org/soap/envelope/", mediaType: "text/xml", contentType: "text/xml; charset=utf-8" });
export const soap12: SoapVersion = Object.freeze({
  name: "1.2",
  envelopeNamespace: "http://www.w3.org/2003/05/soap-envelope",
  mediaType: "application/soap+xml",
  contentType: "application/soap+xml; charset=utf-8",
});

export function soapVersionOfMediaType(mediaType: string | undefined): SoapVersion | undefined {
  return mediaType === soap12.mediaType ? soap12 : mediaType === soap11.mediaType ? soap11 : undefined;
}

export function soapVersionOfNamespace(namespace: string | undefined): SoapVersion | undefined {
  return namespace === soap12.envelopeNamespace ? soap12 : namespace === soap11.envelopeNamespace ? soap11 : undefined;
}

/** The action of a request: SOAPAction (1.1, quoted) or the `action` media-type parameter (1.2); "" when absent. */
export function soapActionOf(version: SoapVersion, soapActionHeader: string | undefined, contentType: string | undefined): string {
  if (version === soap11) return (soapActionHeader ?? "").trim().replace(/^"(.*)"$/, "$1");
  const match = /;\s*action\s*=\s*("([^"]*)"|[^;\s]+)/i.exec(contentType ?? "");
  return match === null ? "" : (match[2] ?? match[1]!);
}

/** The action a SOAP client sends for an operation (what the WSDL declares). */
export function soapActionFor(targetNamespace: string, operation: string): string {
  return `${targetNamespace}/${operation}`;
}
