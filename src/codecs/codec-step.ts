import { bytesBody, type ValueBody } from "../core/body.js";
import type { BodyShape } from "../core/body-shape.js";
import { createContextKey } from "../core/context.js";
import { headerText, mediaType, type RequestEnvelope } from "../core/envelope.js";
import { GatewayError } from "../core/gateway-error.js";
import { readBodyBytes } from "../core/read-body.js";
import { StatusCode } from "../core/status-code.js";
import type { Codec } from "./codec.js";
import type { CodecRegistry } from "./codec-registry.js";
import { timedDecode, timedEncode } from "./codec-timing.js";
import type { MessageBinding } from "./offload/message-binding.js";
import { canonicalValue } from "../protojson/message-shape.js";

/**
 * The codec step: the one place that chooses the codecs of a request and its
 * reply and applies them. Listeners say what the caller asked for when they
 * build the envelope (beginCodecStep); the choice is made when something
 * first needs it and kept on the request, so a WebSocket call to an HTTP
 * upstream negotiates once, and a request nobody decodes is never parsed.
 */

/** What the caller said about formats, as its listener reads it. */
export interface CodecInputs {
  /** The Accept header (repeated values joined). */
  readonly accept?: string | undefined;
  /** The Content-Type of what the caller sent, parameters allowed. */
  readonly contentType?: string | string[] | undefined;
  /** The media type of the reply when neither Accept nor Content-Type names a codec (a frame format's own). */
  readonly replyDefault?: string | undefined;
}

export interface CodecChoice {
  /** Accept's first registered type, in the caller's order, q=0 skipped; undefined for none, absent or "*∕*". */
  readonly asked: Codec | undefined;
  /** The registered codec of the Content-Type sent. */
  readonly sent: Codec | undefined;
  /** What reads the request body: `sent`, or JSON when no Content-Type was sent; undefined for a type no codec reads (passed through). */
  readonly request: Codec | undefined;
  /** What writes a value reply: asked ?? sent ?? the reply default's codec ?? JSON. */
  readonly reply: Codec;
}

/** A value written by a codec: the bytes and the Content-Type that names them. */
export interface EncodedBody {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
}

interface CodecStep {
  readonly inputs: CodecInputs;
  choice: CodecChoice | undefined;
}

/** The request's codec step on its context: the listener's inputs, and the choice once made. */
export const codecStepKey = createContextKey<CodecStep | undefined>(undefined, "codec step");

/** The choice for these inputs; pure (for replies that have no request envelope). */
export function chooseCodecs(codecs: CodecRegistry, inputs: CodecInputs): CodecChoice {
  const asked = codecs.accepted(inputs.accept);
  const sentType = mediaType(inputs.contentType);
  const sent = sentType === undefined ? undefined : codecs.forMediaType(sentType);
  const defaultType = mediaType(inputs.replyDefault);
  return {
    asked,
    sent,
    request: sentType === undefined ? codecs.json : sent,
    reply: asked ?? sent ?? (defaultType === undefined ? undefined : codecs.forMediaType(defaultType)) ?? codecs.json,
  };
}

/** Called by a listener as it builds the envelope: keeps what the caller said, parses nothing. */
export function beginCodecStep(request: RequestEnvelope, inputs: CodecInputs): void {
  request.context.set(codecStepKey, { inputs, choice: undefined });
}

/**
 * The request's choice, made on first use and kept. A request no listener
 * began (built by a test or a filter) is judged by its own headers.
 */
export function codecChoice(codecs: CodecRegistry, request: RequestEnvelope): CodecChoice {
  let step = request.context.get(codecStepKey);
  if (step === undefined) {
    step = { inputs: { accept: headerText(request.headers.accept), contentType: request.headers["content-type"] }, choice: undefined };
    request.context.set(codecStepKey, step);
  }
  return (step.choice ??= chooseCodecs(codecs, step.inputs));
}

/** The registered codec of a Content-Type another party sent (an upstream's reply), if any. */
export function codecOf(codecs: CodecRegistry, contentType: string | string[] | undefined): Codec | undefined {
  const type = mediaType(contentType);
  return type === undefined ? undefined : codecs.forMediaType(type);
}

/**
 * The request body in canonical form, through the request's codec (else
 * `fallback`), typed by the shape; or, for a body big enough for the codec
 * to offload and a binding given, the whole request message's bytes built by
 * a worker. The body is read once: afterwards request.body is its bytes.
 */
export async function decodeRequestBody(
  codecs: CodecRegistry,
  request: RequestEnvelope,
  shape: BodyShape | undefined,
  o: { readonly maxBytes: number; readonly fallback?: Codec; readonly binding?: MessageBinding },
): Promise<{ value: unknown } | { message: Uint8Array }> {
  const body = request.body;
  if (body.kind === "value") return { value: body.value };
  const codec = codecChoice(codecs, request).request ?? o.fallback;
  if (codec === undefined) {
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, `no codec reads a ${mediaType(request.headers["content-type"])} body`, { httpStatus: 415 });
  }
  // With the codec's own limit, a longer declared body is refused before it is read (and before 100 Continue).
  const bytes = await readBodyBytes(body, Math.min(o.maxBytes, codec.maxBytes ?? o.maxBytes));
  request.body = bytesBody(bytes);
  if (bytes.byteLength === 0) return { value: undefined };
  const offloaded = o.binding === undefined || shape?.kind !== "message" ? undefined : codec.toMessage?.(bytes, shape, o.binding);
  return offloaded === undefined ? { value: await timedDecode(codec, bytes, shape) } : { message: await offloaded };
}

/** Stream messages travel as JSON everywhere (they have no route shape where they are read). */
export function decodeStreamMessage(codecs: CodecRegistry, bytes: Uint8Array): unknown {
  const decoded = codecs.json.decode(bytes);
  if (decoded instanceof Promise) throw new GatewayError(StatusCode.INTERNAL, "the JSON codec answered asynchronously");
  return decoded;
}

export function encodeStreamMessage(codecs: CodecRegistry, value: unknown): Uint8Array {
  return codecs.json.encode(value);
}

/** An upstream reply, typed and checked by the shape; one that does not parse or fit it is the upstream's failure: 502 naming the format. */
export async function decodeReplyBody(codec: Codec, bytes: Uint8Array, shape: BodyShape | undefined): Promise<unknown> {
  try {
    return canonicalValue(await timedDecode(codec, bytes, shape), shape);
  } catch (error) {
    throw new GatewayError(StatusCode.INTERNAL, `the upstream's ${codec.name} reply could not be read: ${GatewayError.from(error).message}`, { httpStatus: 502, cause: error });
  }
}

/** A value in a codec's format; a value the codec cannot write is returned as an INTERNAL error, never thrown. */
export function encodeValue(codec: Codec, value: unknown, shape?: BodyShape): EncodedBody | GatewayError {
  try {
    return { bytes: timedEncode(codec, value, shape), mediaType: codec.mediaTypes[0]! };
  } catch (error) {
    return new GatewayError(StatusCode.INTERNAL, `the response cannot be written as ${codec.name}: ${GatewayError.from(error).message}`, { cause: error });
  }
}

/** A value reply in the codec the choice made for it. */
export function encodeReply(choice: CodecChoice, body: ValueBody): EncodedBody | GatewayError {
  return encodeValue(choice.reply, body.value, body.shape);
}
