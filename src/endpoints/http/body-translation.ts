import { bytesBody, valueBody } from "../../core/body.js";
import { mediaTypeOf, type RequestEnvelope, type ResponseEnvelope } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { readBodyBytes } from "../../core/read-body.js";
import { StatusCode } from "../../core/status-code.js";
import type { BodyShape } from "../../core/body-shape.js";
import type { Codec } from "../../codecs/codec.js";
import type { CodecRegistry } from "../../codecs/codec-registry.js";
import { codecChoice, codecOf, decodeReplyBody } from "../../codecs/codec-step.js";
import { timedDecode, timedEncode } from "../../codecs/codec-timing.js";
import { canonicalValue } from "../../protojson/message-shape.js";
import { readSoapReply, writeSoapRequest, type SoapCall } from "../../soap/client/soap-client.js";
import type { XmlCodec } from "../../codecs/xml/xml-codec.js";

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
  const target = soap !== undefined ? translation.xml : (translation.upstream ?? codecs.json);
  const body = request.body;
  const headers = request.headers;
  const callerCodec = codecChoice(codecs, request).request;
  if (soap === undefined && translation.upstream !== undefined) headers.accept = target.mediaTypes[0];
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
    value = bytes.byteLength === 0 ? {} : await timedDecode(callerCodec, bytes, translation.requestShape);
  }
  if (soap !== undefined) {
    request.body = bytesBody(writeSoapRequest(soap, value, translation.requestShape, translation.xml, headers));
  } else {
    request.body = bytesBody(timedEncode(target, canonicalValue(value, translation.requestShape), translation.requestShape));
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
  const value = soap !== undefined ? await readSoapReply(bytes, xml, shape) : await decodeReplyBody(source, bytes, shape);
  response.headers["content-type"] = undefined;
  response.headers["content-length"] = undefined;
  return { ...response, body: valueBody(value, shape) };
}
