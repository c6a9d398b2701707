import type protobuf from "protobufjs";
import { bytesBody, valueBody } from "../../core/body.js";
import { headerText, mediaTypeOf, type RequestEnvelope, type ResponseEnvelope } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import type { Handler } from "../../core/handler.js";
import { readBodyBytes } from "../../core/read-body.js";
import { StatusCode } from "../../core/status-code.js";
import type { MessageShape } from "../../protojson/message-shape.js";
import { readEnvelope, writeEnvelope } from "../soap-envelope.js";
import { faultResponse } from "../soap-fault.js";
import { SoapProtocolError } from "../soap-protocol-error.js";
import { soap11, soapActionOf, soapVersionOfMediaType, type SoapVersion } from "../soap-version.js";
import { generateWsdl, soapActionFor } from "./wsdl.js";
import type { XmlCodec } from "../../codecs/xml/xml-codec.js";
import { localName } from "../../codecs/xml/xml-node.js";
import { escapeAttribute } from "../../codecs/xml/xml-text.js";

/** One RPC offered as a SOAP operation. */
export interface SoapOperation {
  readonly method: protobuf.Method;
  /** The REST handler of the method with body "*": the operation feeds it the decoded request. */
  readonly handler: Handler;
  readonly requestShape: MessageShape;
  readonly responseShape: MessageShape;
}

export interface SoapFacadeSpec {
  readonly service: protobuf.Service;
  readonly operations: ReadonlyMap<string, SoapOperation>;
  readonly targetNamespace: string;
  readonly useProtoNames: boolean;
  readonly xml: XmlCodec;
  readonly maxBodyBytes: number;
}

const wsdlQuery = /^wsdl(?:[=&]|$)/i;
const maxCachedLocations = 16;

/**
 * One SOAP endpoint for a gRPC service: POST an envelope (1.1 as text/xml
 * with SOAPAction, 1.2 as application/soap+xml with `action`), answered in
 * the same version; GET ?wsdl for the generated WSDL. The operation is the
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
      bytes = Buffer.from(generateWsdl({ service: spec.service, methods: [...spec.operations.values()].map((operation) => operation.method), targetNamespace: spec.targetNamespace, location, useProtoNames: spec.useProtoNames }));
      // Keyed by what callers send as Host; bounded so a stream of made-up hosts cannot grow it.
      if (wsdlByLocation.size >= maxCachedLocations) wsdlByLocation.clear();
      wsdlByLocation.set(location, bytes);
    }
    return { status: 200, headers: { "content-type": soap11.contentType }, body: bytesBody(bytes) };
  };

  const operationOf = (bodyName: string, action: string): SoapOperation => {
    const name = localName(bodyName);
    const operation = spec.operations.get(name);
    if (operation === undefined) {
      throw new GatewayError(StatusCode.UNIMPLEMENTED, `${spec.service.name} has no operation "${name}" (operations: ${names.join(", ")})`);
    }
    if (action !== "") {
      const named = byAction.get(action) ?? names.find((candidate) => action === candidate || /[/#:]/.test(action.charAt(action.length - candidate.length - 1)) && action.endsWith(candidate));
      if (named !== name) throw new GatewayError(StatusCode.INVALID_ARGUMENT, `the SOAP action "${action}" does not name the operation in the Body (${name})`);
    }
    return operation;
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
    const operation = operationOf(envelope.body.name, soapActionOf(version, headerText(request.headers.soapaction), headerText(request.headers["content-type"])));
    request.body = valueBody(spec.xml.toValue({ name: envelope.body.name, node: envelope.body.node }, operation.requestShape));
    request.rawQuery = "";
    const response = await operation.handler(request);
    const value = response.body.kind === "value" ? response.body.value : {};
    const element = spec.xml.toXml(value, operation.responseShape, `${operation.method.name}Response`, ` xmlns="${escapeAttribute(spec.targetNamespace)}"`);
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
