import type protobuf from "protobufjs";
import { bytesBody, emptyBody, valueBody, type Body, type StreamFormat } from "../../core/body.js";
import { Readable } from "node:stream";
import type { Metadata } from "@grpc/grpc-js";
import { fullNameOf } from "../../protos/proto-registry.js";
import type { HeaderMap, RequestEnvelope, ResponseEnvelope } from "../../core/envelope.js";
import type { Handler } from "../../core/handler.js";
import { readBodyBytes } from "../../core/read-body.js";
import { messageShape, type MessageShape } from "../../protojson/message-shape.js";
import type { CodecRegistry } from "../../codecs/codec-registry.js";
import { decodeRequestBody } from "../../codecs/codec-step.js";
import { translationEnd, translationStart } from "../../observability/request-observer.js";
import type { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import type { FieldInfo } from "../../protojson/message-info.js";
import { callClientStream, callServerStream, type CallOptions, type StatusToError, type StreamResult, type UnaryResult } from "./grpc-calls.js";
import type { GrpcChannels } from "./grpc-channels.js";
import { acceptsTrailers, metadataHeaders, requestMetadata, type SkippedHeader, withErrorTrailers } from "./grpc-metadata.js";
import { parseGrpcTimeout } from "./grpc-timeout.js";
import { buildRequestJson, formToJson, type RequestMapping } from "../../protojson/request-message.js";
import { resolveFieldPath } from "../../protojson/field-path.js";
import { encodeFieldMask, fieldMaskPaths, type PatchFieldMask } from "../../protojson/field-mask-from-body.js";
import { requestMessages } from "./request-stream.js";
import { malformedReply } from "../malformed-reply.js";
import { callBudget } from "../deadline.js";
import type { RetryPolicy } from "../retry-policy.js";
import type { Logger } from "../../observability/logger.js";
import { GatewayError } from "../../core/gateway-error.js";

const httpBodyType = "google.api.HttpBody";

/** Everything one route needs at request time, resolved when the route is built. */
export interface TranscodingRoute {
  readonly method: protobuf.Method;
  /** `/package.Service/Method`, the HTTP/2 path of the call. */
  readonly callPath: string;
  readonly mapping: RequestMapping;
  /** Fill the request's FieldMask from the body's keys when the caller sends none (a PATCH with a message body field). */
  readonly fieldMask: PatchFieldMask | undefined;
  readonly responseType: protobuf.Type;
  /** The response field answered instead of the whole message (response_body), if any. */
  readonly responseField: FieldInfo | undefined;
  readonly successStatus: number;
  readonly timeout: number;
  readonly streamFormat: StreamFormat;
  readonly protoJson: ProtoJsonMapping;
  readonly channels: GrpcChannels;
  readonly codecs: CodecRegistry;
  readonly forwardHeaders: ReadonlySet<string>;
  readonly maxMessageBytes: number;
  readonly toError: StatusToError;
  /** The service's name, for errors. */
  readonly service: string;
  /** The route's retry policy, for unary methods that may be retried. */
  readonly retry: RetryPolicy | undefined;
  /** Told (at debug) of request headers gRPC metadata cannot carry. */
  readonly logger: Logger;
}

/**
 * The handler of one REST route onto one gRPC method: it builds the request
 * message (body, path, query), calls with a deadline (never without one) and
 * metadata, and turns the reply into a response: JSON (or the field named by
 * response_body), raw bytes for google.api.HttpBody, or a message stream.
 */
export function createTranscodingHandler(route: TranscodingRoute): Handler {
  const { method, mapping, protoJson, codecs } = route;
  const bodyShape = requestBodyShape(mapping, protoJson);
  const bodyType = bodyShape?.field === undefined ? bodyShape?.type : bodyShape.field.messageType;
  const requestIsHttpBody = bodyType !== undefined && fullNameOf(bodyType) === httpBodyType;
  const answer = answerShape(route);
  // The response type's reader is compiled now, not on the first call.
  protoJson.reader(route.responseType);
  const fieldMask = route.fieldMask;
  const maskKeys = fieldMask === undefined ? [] : [fieldMask.maskField.protoName, fieldMask.maskField.jsonName];
  const { logger } = route;
  // Names the header, never its value: a value may be a secret.
  const skipped: SkippedHeader | undefined =
    logger.debug === undefined ? undefined : (header, reason) => logger.debug?.("request header not sent as gRPC metadata", { header, reason, method: route.callPath });

  // A failed call's trailing metadata goes out as HTTP trailers when the caller reads them (rare: the common path keeps route.toError).
  const toErrorWithTrailers: StatusToError = (status) => withErrorTrailers(route.toError(status));

  const callOptions = (request: RequestEnvelope): CallOptions => {
    const now = Date.now();
    const requested = parseGrpcTimeout(request.headers["grpc-timeout"]);
    if (requested instanceof GatewayError) throw requested;
    const budget = callBudget(route.timeout, request.deadline, requested, now);
    return {
      path: route.callPath,
      metadata: requestMetadata(request.headers, route.forwardHeaders, skipped),
      deadline: new Date(now + budget),
      cancellation: request.cancellation,
      toError: acceptsTrailers(request.headers) ? toErrorWithTrailers : route.toError,
    };
  };

  const encodeRequest = async (request: RequestEnvelope): Promise<Buffer> => {
    let body: unknown;
    if (mapping.body !== undefined && request.body.kind !== "empty") {
      let source = request;
      const formType = !requestIsHttpBody && isFormBody(request) ? bodyType : undefined;
      const form = formType === undefined ? undefined : Buffer.from(await readBodyBytes(request.body, route.maxMessageBytes)).toString("utf8");
      if (formType !== undefined && form !== undefined && !looksLikeJson(form)) {
        body = formToJson(formType, new URLSearchParams(form), mapping.rejectUnknownQuery);
      } else {
        if (form !== undefined) source = { ...request, body: bytesBody(Buffer.from(form)), headers: { ...request.headers, "content-type": "application/json" } };
        // A body whose keys make a field mask is decoded here, not offloaded to a worker that builds the whole message.
        const decoded = requestIsHttpBody
          ? { value: await httpBodyJson(source, route.maxMessageBytes) }
          : await decodeBody(source, codecs, bodyShape!, mapping, route.maxMessageBytes, fieldMask === undefined);
        // A big body: a worker built and encoded the whole message.
        if ("message" in decoded) return Buffer.from(decoded.message.buffer, decoded.message.byteOffset, decoded.message.byteLength);
        body = decoded.value;
      }
    }
    const json = buildRequestJson(mapping, request, body);
    const encoded = protoJson.encode(mapping.requestType, json);
    // A view, not a copy: the bytes are only read from here on.
    if (fieldMask === undefined || body === undefined || maskKeys.some((key) => isSet(json[key]))) return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    // PATCH without a mask: the body's keys say what to update.
    return Buffer.concat([encoded, encodeFieldMask(mapping.requestType, fieldMask.maskField, fieldMaskPaths(fieldMask.bodyType, body))]);
  };

  if (method.requestStream === true) {
    return async (request) => {
      const messages = encodeStream(request, mapping, protoJson, codecs, route.maxMessageBytes);
      const options = callOptions(request);
      if (method.responseStream === true) return streamResponse(route, answer, await route.channels.stream(request, (client) => callServerStream(client, options, messages)));
      const result = await route.channels.stream(request, (client) => callClientStream(client, options, messages));
      return unaryResponse(route, answer, result, request);
    };
  }
  if (method.responseStream === true) {
    return async (request) => {
      const options = callOptions(request);
      const message = await encodeRequest(request);
      return streamResponse(route, answer, await route.channels.serverStream(request, options, message));
    };
  }
  return async (request) => {
    const options = callOptions(request);
    const started = translationStart(request);
    const message = await encodeRequest(request);
    translationEnd(request, started);
    const result = await route.channels.unary(options, message, request, route.retry);
    const replyStarted = translationStart(request);
    const response = unaryResponse(route, answer, result, request);
    translationEnd(request, replyStarted);
    return response;
  };
}

/** What of each decoded response goes out, resolved once per route rather than per message. */
interface AnswerShape {
  /** How codecs that need a schema (XML) type the answer. */
  readonly shape: MessageShape;
  /** The JSON key of the response_body field, in the route's naming; undefined answers the whole message. */
  readonly key: string | undefined;
  /** True when the answer is a google.api.HttpBody, sent as raw bytes. */
  readonly httpBody: boolean;
  /** HttpBody's content-type key in the route's naming. */
  readonly contentTypeKey: string;
}

function answerShape(route: TranscodingRoute): AnswerShape {
  const useProtoNames = route.protoJson.options.useProtoNames;
  const field = route.responseField;
  const type = field === undefined ? fullNameOf(route.responseType) : field.messageType === undefined ? undefined : fullNameOf(field.messageType);
  return {
    shape: messageShape(route.responseType, route.protoJson, field),
    key: field === undefined ? undefined : useProtoNames ? field.protoName : field.jsonName,
    httpBody: type === httpBodyType,
    contentTypeKey: useProtoNames ? "content_type" : "contentType",
  };
}

/** A response message in canonical form; one that does not decode as the method's type is the upstream's fault: 502. */
function decodeReply(route: TranscodingRoute, message: Buffer): unknown {
  try {
    return route.protoJson.decode(route.responseType, message);
  } catch (error) {
    throw malformedReply(`upstream "${route.service}"`, `its ${fullNameOf(route.responseType)} message does not decode: ${(error as Error).message}`, error);
  }
}

/** The part of a decoded response the caller receives. */
function answerOf(answer: AnswerShape, decoded: unknown): unknown {
  return answer.key === undefined ? decoded : (decoded as Record<string, unknown>)[answer.key];
}

/** What the HTTP body is: the request message for "*", else the named field of it. */
function requestBodyShape(mapping: RequestMapping, protoJson: ProtoJsonMapping): MessageShape | undefined {
  if (mapping.body === undefined) return undefined;
  const found = mapping.body === "*" ? undefined : resolveFieldPath(mapping.requestType, mapping.body);
  return found === undefined ? messageShape(mapping.requestType, protoJson) : messageShape(found.parent, protoJson, found.field);
}

/** `application/x-www-form-urlencoded` (any parameters): read as query parameters are. */
function isFormBody(request: RequestEnvelope): boolean {
  const type = request.headers["content-type"];
  return typeof type === "string" && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type);
}

/**
 * `curl -d '{…}'` labels JSON as a form. A form's keys are field paths, which never start with
 * `{`, `[` or `"`, so such a body is read as the JSON it is.
 */
function looksLikeJson(text: string): boolean {
  return /^\s*[{["]/.test(text);
}

/** A mask the caller sent: a non-empty path list (an empty string is no mask, as an empty FieldMask is none). */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/**
 * The request body in canonical form, through the codec its Content-Type
 * names (JSON when none is registered for it), typed by the route; or, for a
 * body big enough for the codec to offload, the whole request message's
 * bytes, built by a worker.
 */
function decodeBody(
  request: RequestEnvelope,
  codecs: CodecRegistry,
  shape: MessageShape,
  mapping: RequestMapping,
  limit: number,
  offload: boolean,
): Promise<{ value: unknown } | { message: Uint8Array }> {
  const binding = { body: mapping.body!, pathFields: mapping.pathFields, rejectUnknownQuery: mapping.rejectUnknownQuery, params: request.params, rawQuery: request.rawQuery };
  return decodeRequestBody(codecs, request, shape, offload ? { maxBytes: limit, fallback: codecs.json, binding } : { maxBytes: limit, fallback: codecs.json });
}

/** google.api.HttpBody takes the raw body and its Content-Type as they are. */
async function httpBodyJson(request: RequestEnvelope, limit: number): Promise<unknown> {
  const bytes = await readBodyBytes(request.body, limit);
  const contentType = request.headers["content-type"];
  return { contentType: typeof contentType === "string" ? contentType : "application/octet-stream", data: Buffer.from(bytes).toString("base64") };
}

async function* encodeStream(request: RequestEnvelope, mapping: RequestMapping, protoJson: ProtoJsonMapping, codecs: CodecRegistry, limit: number): AsyncGenerator<Buffer> {
  // Counted from 1, as the JSON values of the body are in errors.
  let index = 0;
  for await (const message of requestMessages(request.body, codecs, limit)) {
    yield Buffer.from(protoJson.encode(mapping.requestType, message, `message ${++index}`));
  }
}

/**
 * Header metadata → Grpc-Metadata-* headers. Trailing metadata → Grpc-Trailer-*
 * as real HTTP trailers when the caller said it reads them (TE: trailers),
 * else as headers (the whole unary reply is known before anything is written).
 */
function responseHeaders(headers: Metadata | undefined, trailers: Metadata | undefined, request: RequestEnvelope): { headers: HeaderMap; trailers: HeaderMap | undefined } {
  const result: HeaderMap = {};
  metadataHeaders(headers, "grpc-metadata-", result);
  if (!acceptsTrailers(request.headers)) {
    metadataHeaders(trailers, "grpc-trailer-", result);
    return { headers: result, trailers: undefined };
  }
  const trailerMap: HeaderMap = {};
  metadataHeaders(trailers, "grpc-trailer-", trailerMap);
  return { headers: result, trailers: Object.keys(trailerMap).length > 0 ? trailerMap : undefined };
}

function unaryResponse(route: TranscodingRoute, answer: AnswerShape, result: UnaryResult, request: RequestEnvelope): ResponseEnvelope {
  const value = answerOf(answer, decodeReply(route, result.message));
  const meta = responseHeaders(result.headers, result.trailers, request);
  let body: Body;
  if (answer.httpBody && value !== null && typeof value === "object") {
    const httpBody = value as Record<string, string | undefined>;
    meta.headers["content-type"] = httpBody[answer.contentTypeKey] || "application/octet-stream";
    body = bytesBody(Buffer.from(httpBody.data ?? "", "base64"));
  } else {
    body = route.successStatus === 204 ? emptyBody : valueBody(value ?? null, answer.shape);
  }
  const response: ResponseEnvelope = { status: route.successStatus, headers: meta.headers, body };
  if (meta.trailers !== undefined) response.trailers = meta.trailers;
  return response;
}

/**
 * A stream of google.api.HttpBody is one HTTP body in grpc-gateway's
 * framing: the first message's content type, then each message's bytes as
 * they come, each followed by a newline (the JSON marshaler's delimiter).
 * A failure after the first message is written in band as one
 * `{"error": google.rpc.Status}` line and the body ends; one before it is an
 * ordinary error reply.
 */
async function httpBodyStream(route: TranscodingRoute, answer: AnswerShape, result: StreamResult, headers: HeaderMap): Promise<ResponseEnvelope> {
  const iterator = result.messages[Symbol.asyncIterator]();
  const first = await iterator.next();
  const decodeChunk = (message: Buffer) => answerOf(answer, decodeReply(route, message)) as Record<string, string | undefined>;
  const head = first.done === true ? undefined : decodeChunk(first.value);
  headers["content-type"] = head?.[answer.contentTypeKey] || "application/octet-stream";
  async function* chunks(): AsyncGenerator<Buffer> {
    if (head !== undefined) yield framed(head.data);
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield framed(decodeChunk(next.value).data);
      }
    } catch (reason) {
      yield Buffer.from(`{"error":${JSON.stringify(GatewayError.from(reason).toStatus())}}\n`);
    }
  }
  const stream = Readable.from(chunks());
  stream.once("close", () => {
    if (!stream.readableEnded) result.cancel();
  });
  return { status: route.successStatus, headers, body: { kind: "readable", stream, length: undefined } };
}

/** One HttpBody message's bytes and the delimiter after them. */
function framed(base64: string | undefined): Buffer {
  const data = Buffer.from(base64 ?? "", "base64");
  const frame = Buffer.allocUnsafe(data.byteLength + 1);
  data.copy(frame);
  frame[data.byteLength] = 0x0a;
  return frame;
}

function streamResponse(route: TranscodingRoute, answer: AnswerShape, result: StreamResult): ResponseEnvelope | Promise<ResponseEnvelope> {
  const headers: HeaderMap = {};
  metadataHeaders(result.headers, "grpc-metadata-", headers);
  if (answer.httpBody) return httpBodyStream(route, answer, result, headers);
  async function* messages(): AsyncGenerator<unknown> {
    for await (const message of result.messages) yield answerOf(answer, decodeReply(route, message));
  }
  return {
    status: route.successStatus,
    headers,
    body: { kind: "messages", messages: messages(), format: route.streamFormat, cancel: () => result.cancel() },
  };
}
