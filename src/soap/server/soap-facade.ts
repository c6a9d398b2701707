import { bytesBody, valueBody } from "../../core/body.js";
import type { BodyShape } from "../../core/body-shape.js";
import { headerText, mediaTypeOf, type RequestEnvelope, type ResponseEnvelope } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import type { Handler } from "../../core/handler.js";
import { readBodyBytes } from "../../core/read-body.js";
import { StatusCode } from "../../core/status-code.js";
import { readEnvelope, writeEnvelope } from "../soap-envelope.js";
import { faultResponse } from "../soap-fault.js";
import { SoapProtocolError } from "../soap-protocol-error.js";
import { soap11, soapActionFor, soapActionOf, soapVersionOfMediaType, type SoapVersion } from "../soap-version.js";
import type { XmlCodec } from "../../codecs/xml/xml-codec.js";
import { localName } from "../../codecs/xml/xml-node.js";
import { escapeAttribute } from "../../codecs/xml/xml-text.js";

/** One operation offered over SOAP: a handler fed the decoded request as a value body, answering a value body. */
export interface SoapOperation {
  /** A handler that takes the whole request as its body (for a gRPC method, its REST handler with body "*"). */
  readonly handler: Handler;
  /** Types the operation element read from the request Body. */
  readonly requestShape: BodyShape;
  /** Types the `<Operation>Response` element written back. */
  readonly responseShape: BodyShape;
}

/** What any endpoint that can describe its operations hands the facade; nothing protocol-specific. */
export interface SoapFacadeSpec {
  /** The service's name, for errors. */
  readonly serviceName: string;
  /** Operation name (the Body's element, local name) → operation. */
  readonly operations: ReadonlyMap<string, SoapOperation>;
  readonly targetNamespace: string;
  /** The WSDL for callers that reached the facade at this URL; called once per location seen (cached, bounded). */
  readonly wsdl: (location: string) => string;
  readonly xml: XmlCodec;
  readonly maxBodyBytes: number;
}

const wsdlQuery = /^wsdl(?:[=&]|$)/i;
const maxCachedLocations = 16;

/**
 * One SOAP endpoint for any service that describes its operations: POST an
 * envelope (1.1 as text/xml with SOAPAction, 1.2 as application/soap+xml
 * with `action`), answered in the same version; GET ?wsdl for the WSDL the
 * spec's closure writes (the gRPC endpoint's from its protos). The operation is the
 * Body's element name; an action, when sent, must name the same operation.
 * Errors come back as Faults with the google.rpc.Status in the detail.
 */
export function createSoapFacade(spec: SoapFacadeSpec): Handler {
  const wsdlByLocation = new Map<string, Buffer>();
  const names = [...spec.operations.keys()];
  const byAction = new Map(names.map((name) => [soapActionFor(spec.targetNamespace, name), name]));

  const wsdl = (request: RequestEnvelope): ResponseEnvelope => {
    const location = locationOf(request);
    let bytes = wsdlByLocation.get(location);
    if (bytes === undefined) {
      bytes = Buffer.from(spec.wsdl(location));
      // Keyed by what callers send as Host; bounded so a stream of made-up hosts cannot grow it.
      if (wsdlByLocation.size >= maxCachedLocations) wsdlByLocation.clear();
      wsdlByLocation.set(location, bytes);
    }
    return { status: 200, headers: { "content-type": soap11.contentType }, body: bytesBody(bytes) };
  };

  const operationOf = (bodyName: string, action: string): { name: string; operation: SoapOperation } => {
    const name = localName(bodyName);
    const operation = spec.operations.get(name);
    if (operation === undefined) {
      throw new GatewayError(StatusCode.UNIMPLEMENTED, `${spec.serviceName} has no operation "${name}" (operations: ${names.join(", ")})`);
    }
    if (action !== "") {
      const named = byAction.get(action) ?? names.find((candidate) => action === candidate || (/[/#:]/.test(action.charAt(action.length - candidate.length - 1)) && action.endsWith(candidate)));
      if (named !== name) throw new GatewayError(StatusCode.INVALID_ARGUMENT, `the SOAP action "${action}" does not name the operation in the Body (${name})`);
    }
    return { name, operation };
  };

  const call = async (request: RequestEnvelope, version: SoapVersion): Promise<ResponseEnvelope> => {
    const bytes = await readBodyBytes(request.body, spec.maxBodyBytes);
    const envelope = readEnvelope(await spec.xml.parse(bytes));
    if (envelope.version !== version) {
      throw new SoapProtocolError("VersionMismatch", `a SOAP ${envelope.version.name} envelope was sent as ${version.mediaType}, which is SOAP ${version.name}`);
    }
    if (envelope.mustUnderstand.length > 0) {
      throw new SoapProtocolError("MustUnderstand", `header block(s) ${envelope.mustUnderstand.join(", ")} are marked mustUnderstand; this endpoint understands none`);
    }
    if (envelope.body === undefined) throw new GatewayError(StatusCode.INVALID_ARGUMENT, "the SOAP Body is empty; it must hold the operation element");
    const { name, operation } = operationOf(envelope.body.name, soapActionOf(version, headerText(request.headers.soapaction), headerText(request.headers["content-type"])));
    request.body = valueBody(spec.xml.toValue({ name: envelope.body.name, node: envelope.body.node }, operation.requestShape));
    request.rawQuery = "";
    const response = await operation.handler(request);
    const value = response.body.kind === "value" ? response.body.value : {};
    const element = spec.xml.toXml(value, operation.responseShape, `${name}Response`, ` xmlns="${escapeAttribute(spec.targetNamespace)}"`);
    return { status: 200, headers: { ...response.headers, "content-type": version.contentType }, body: bytesBody(writeEnvelope(version, element)) };
  };

  return async (request) => {
    if (request.method === "GET" || request.method === "HEAD") {
      if (wsdlQuery.test(request.rawQuery)) return wsdl(request);
      throw new GatewayError(StatusCode.INVALID_ARGUMENT, "GET ?wsdl for the service description; SOAP calls are POSTed");
    }
    const version = soapVersionOfMediaType(mediaTypeOf(request.headers));
    if (version === undefined) {
      const error = new GatewayError(StatusCode.INVALID_ARGUMENT, "a SOAP request is text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)", { httpStatus: 415 });
      return { ...faultResponse(soap11, error, spec.xml), status: 415 };
    }
    try {
      return await call(request, version);
    } catch (error) {
      return faultResponse(version, GatewayError.from(error), spec.xml);
    }
  };
}

/** The URL callers reached this endpoint at, as the listener saw it (X-Forwarded-* when trusted). */
function locationOf(request: RequestEnvelope): string {
  const scheme = headerText(request.headers["x-forwarded-proto"]) ?? request.peer.scheme;
  const host = headerText(request.headers["x-forwarded-host"]) ?? headerText(request.headers.host) ?? "localhost";
  return `${scheme}://${host}${request.path}`;
}
