import { bytesBody, valueBody } from "../../core/body.js";
import { mediaTypeOf, type RequestEnvelope, type ResponseEnvelope } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { readBodyBytes } from "../../core/read-body.js";
import { StatusCode } from "../../core/status-code.js";
import type { BodyShape } from "../../core/body-shape.js";
import type { Codec } from "../../codecs/codec.js";
import type { CodecRegistry } from "../../codecs/codec-registry.js";
import { codecChoice, codecOf } from "../../codecs/codec-step.js";
import { readEnvelope, writeEnvelope } from "../../soap/soap-envelope.js";
import { faultToError } from "../../soap/soap-fault.js";
import { soap11, type SoapVersion } from "../../soap/soap-version.js";
import type { XmlCodec } from "../../codecs/xml/xml-codec.js";
import { escapeAttribute } from "../../codecs/xml/xml-text.js";

/** A SOAP operation called for a REST route. */
export interface SoapCall {
  readonly version: SoapVersion;
  readonly namespace: string;
  readonly operation: string;
  readonly action: string;
}

/** How one route's bodies change format between caller and upstream; built once per route. */
export interface BodyTranslation {
  readonly codecs: CodecRegistry;
  /** What the upstream speaks when the service declares it; undefined passes bodies through unless the caller speaks another format. */
  readonly upstream: Codec | undefined;
  readonly soap: SoapCall | undefined;
  readonly xml: XmlCodec;
  readonly requestShape: BodyShape | undefined;
  readonly responseShape: BodyShape | undefined;
  readonly maxBytes: number;
}

/**
 * Rewrites the request body into the upstream's format when the caller sent
 * another one it has a codec for (XML to a JSON service, JSON to an XML or
 * SOAP one). Bodies of a format no codec knows pass through untouched.
 */
export async function translateRequest(request: RequestEnvelope, translation: BodyTranslation): Promise<void> {
  const { codecs, soap } = translation;
  const target = soap !== undefined ? translation.xml : translation.upstream ?? codecs.json;
  const body = request.body;
  const headers = request.headers;
  const callerCodec = codecChoice(codecs, request).request;
  if (soap !== undefined) headers.accept = soap.version.mediaType;
  else if (translation.upstream !== undefined) headers.accept = target.mediaTypes[0];
  let value: unknown;
  if (body.kind === "value") {
    value = body.value;
  } else if (soap === undefined && (body.kind === "empty" || callerCodec === undefined || callerCodec === target)) {
    return;
  } else if (body.kind === "empty" || callerCodec === undefined) {
    // A SOAP call always needs its envelope; a body no codec reads cannot go in one.
    if (body.kind !== "empty") throw new GatewayError(StatusCode.INVALID_ARGUMENT, `a ${mediaTypeOf(headers)} body cannot be sent in a SOAP envelope; send JSON or XML`, { httpStatus: 415 });
    value = {};
  } else {
    const bytes = await readBodyBytes(body, translation.maxBytes);
    value = bytes.byteLength === 0 ? {} : await callerCodec.decode(bytes, translation.requestShape);
  }
  value = normalize(value, translation.requestShape);
  if (soap !== undefined) {
    request.body = bytesBody(writeEnvelope(soap.version, translation.xml.toXml(value, translation.requestShape, soap.operation, ` xmlns="${escapeAttribute(soap.namespace)}"`)));
    if (soap.version === soap11) headers.soapaction = `"${soap.action}"`;
    headers["content-type"] = soap.version === soap11 ? soap.version.contentType : `${soap.version.contentType}; action="${soap.action}"`;
  } else {
    request.body = bytesBody(target.encode(value, translation.requestShape));
    headers["content-type"] = target.mediaTypes[0];
  }
  headers["content-length"] = undefined;
  headers["transfer-encoding"] = undefined;
}

/** The format the caller wants back: what it asks for by Accept, else what it sent, else JSON when the upstream's format is declared. */
export function wantedCodec(request: RequestEnvelope, translation: BodyTranslation): Codec | undefined {
  const { codecs } = translation;
  const { asked, sent } = codecChoice(codecs, request);
  return asked ?? sent ?? (translation.upstream !== undefined || translation.soap !== undefined ? codecs.json : undefined);
}

/**
 * Turns an upstream reply the caller cannot read as it is into a value its
 * own codec will write: XML to JSON, JSON to XML, a SOAP response to its
 * operation's result, a SOAP Fault to an error. Compressed bodies pass through.
 */
export async function translateResponse(response: ResponseEnvelope, wanted: Codec | undefined, translation: BodyTranslation): Promise<ResponseEnvelope> {
  const { soap, xml } = translation;
  if (wanted === undefined || response.headers["content-encoding"] !== undefined) return response;
  const source = soap !== undefined ? xml : codecOf(translation.codecs, response.headers["content-type"]);
  if (source === undefined || (source === wanted && soap === undefined)) return response;
  const bytes = await readBodyBytes(response.body, translation.maxBytes);
  if (bytes.byteLength === 0) return response;
  // Error replies have their own shape: only successful ones are typed by the route.
  const shape = response.status < 400 ? translation.responseShape : undefined;
  const value = soap !== undefined
    ? await soapResult(bytes, translation, shape)
    : await readReply(source.name, async () => normalize(await source.decode(bytes, shape), shape));
  response.headers["content-type"] = undefined;
  response.headers["content-length"] = undefined;
  return { ...response, body: valueBody(value, shape) };
}

/** The operation's result out of a SOAP response; a Fault becomes the error it stands for. */
async function soapResult(bytes: Uint8Array, translation: BodyTranslation, responseShape: BodyShape | undefined): Promise<unknown> {
  const { xml } = translation;
  const envelope = await readReply("SOAP", async () => readEnvelope(await xml.parse(bytes)));
  if (envelope.isFault) throw faultToError(envelope.version, envelope.body!.node, xml);
  return readReply("SOAP", () => {
    const body = envelope.body;
    return normalize(body === undefined ? {} : xml.toValue({ name: body.name, node: body.node }, responseShape), responseShape);
  });
}

/** An upstream reply that does not parse or fit its type is the upstream's failure: 502. */
async function readReply<T>(format: string, read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new GatewayError(StatusCode.INTERNAL, `the upstream's ${format} reply could not be read: ${GatewayError.from(error).message}`, { httpStatus: 502, cause: error });
  }
}

/** A value typed by a whole message, canonicalised through it: checked (the bad field named) and written as proto3 JSON. */
function normalize(value: unknown, shape: BodyShape | undefined): unknown {
  return shape?.kind === "message" && shape.field === undefined ? shape.protoJson.decode(shape.type, shape.protoJson.encode(shape.type, value)) : value;
}
