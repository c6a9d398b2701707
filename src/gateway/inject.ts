import { bytesBody, emptyBody, type Body, type MessagesBody, type PushSink } from "../core/body.js";
import { applyFixedHeaders, headerText, type HeaderMap, type Peer, type ResponseEnvelope } from "../core/envelope.js";
import { errorResponse } from "../core/error-response.js";
import { GatewayError } from "../core/gateway-error.js";
import type { Handler } from "../core/handler.js";
import { stripHopByHop } from "../core/hop-by-hop.js";
import { createRequestEnvelope } from "../core/request.js";
import { StatusCode } from "../core/status-code.js";
import type { Codec } from "../codecs/codec.js";
import type { CodecRegistry } from "../codecs/codec-registry.js";
import { beginCodecStep, codecChoice } from "../codecs/codec-step.js";
import { requestIdOf, traceOf } from "../listeners/request-identity.js";

/** A request for `Gateway.inject`: what an HTTP caller would send, without a socket. */
export interface InjectRequest {
  /** Default GET. */
  readonly method?: string;
  /** The path as sent (percent-encoded), with `?query` if any. */
  readonly path: string;
  /** Any case; names are lower-cased as node:http does. */
  readonly headers?: Readonly<Record<string, string | string[]>>;
  /** Bytes as given; a string as UTF-8; any other object as JSON (Content-Type application/json unless set). */
  readonly body?: string | Uint8Array | object;
  /** The listener the request seems to arrive on, for `match.listeners` (default: the first configured, else "inject"). */
  readonly listener?: string;
}

export interface InjectResponse {
  readonly status: number;
  /** Lower-case names; headers a filter removed are absent. */
  readonly headers: Record<string, string | string[]>;
  /** The bytes an HTTP caller would read: values encoded by the negotiated codec, message streams as NDJSON. */
  readonly body: Buffer;
  /** The failure this response reports, when it reports one. */
  readonly error?: GatewayError;
  /** Trailers, when the response has any. */
  readonly trailers?: Record<string, string | string[]>;
  text(): string;
  json(): unknown;
}

/** How a configured listener appears to routes: its name and protocol. */
export interface InjectListener {
  readonly name: string;
  readonly protocol: string;
}

const injected: InjectListener = { name: "inject", protocol: "http" };

/**
 * Runs one request through the whole pipeline — global filters, router,
 * route filters, endpoint — and reads the response the way the HTTP listener
 * writes it. No socket is opened on the caller's side; the endpoint still
 * calls its upstream.
 */
export async function inject(handle: Handler, codecs: CodecRegistry, listeners: readonly InjectListener[], request: InjectRequest): Promise<InjectResponse> {
  const listener = listenerOf(listeners, request.listener);
  const headers: HeaderMap = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const body = requestBody(request.body, headers);
  // Kept now, as the HTTP listener keeps them: endpoints may rewrite the request's headers.
  const inputs = { accept: headerText(headers.accept), contentType: headers["content-type"] };
  stripHopByHop(headers);
  const questionMark = request.path.indexOf("?");
  const method = (request.method ?? "GET").toUpperCase();
  const peer: Peer = { address: "127.0.0.1", port: 0, listener: listener.name, protocol: listener.protocol, scheme: "http" };
  const envelope = createRequestEnvelope({
    method,
    path: questionMark < 0 ? request.path : request.path.slice(0, questionMark),
    rawQuery: questionMark < 0 ? "" : request.path.slice(questionMark + 1),
    headers,
    body,
    peer,
    requestId: requestIdOf(headers),
    trace: traceOf(headers),
  });
  beginCodecStep(envelope, inputs);
  const response = await handle(envelope).catch(errorResponse);
  const reply = () => codecChoice(codecs, envelope).reply;
  const read = await readResponse(response, reply);
  return answer(read, method === "HEAD");
}

function listenerOf(listeners: readonly InjectListener[], name: string | undefined): InjectListener {
  if (name === undefined) return listeners[0] ?? injected;
  const found = listeners.find((listener) => listener.name === name);
  if (found === undefined) throw new TypeError(`no listener named "${name}"; configured: ${listeners.map((listener) => listener.name).join(", ") || "none"}`);
  return found;
}

function requestBody(body: InjectRequest["body"], headers: HeaderMap): Body {
  if (body === undefined) return emptyBody;
  if (typeof body === "string") return bytesBody(Buffer.from(body, "utf8"));
  if (body instanceof Uint8Array) return bytesBody(body);
  headers["content-type"] ??= "application/json";
  return bytesBody(Buffer.from(JSON.stringify(body), "utf8"));
}

interface ReadResponse {
  readonly response: ResponseEnvelope;
  readonly bytes: Buffer;
  readonly trailers: HeaderMap | undefined;
}

/** The body in full, in the form the HTTP listener would put on the wire. */
async function readResponse(response: ResponseEnvelope, reply: () => Codec): Promise<ReadResponse> {
  const { body, headers } = response;
  switch (body.kind) {
    case "empty":
      return { response, bytes: Buffer.alloc(0), trailers: response.trailers };
    case "bytes":
      return { response, bytes: Buffer.from(body.bytes), trailers: response.trailers };
    case "value": {
      const codec = reply();
      try {
        const bytes = Buffer.from(codec.encode(body.value, body.shape));
        headers["content-type"] = codec.mediaTypes[0]!;
        applyFixedHeaders(response, headers);
        return { response, bytes, trailers: response.trailers };
      } catch (error) {
        const reason = new GatewayError(StatusCode.INTERNAL, `the response cannot be written as ${codec.name}: ${GatewayError.from(error).message}`, { cause: error });
        return readResponse(errorResponse(reason), () => codec);
      }
    }
    case "readable": {
      const chunks: Buffer[] = [];
      for await (const chunk of body.stream) chunks.push(Buffer.from(chunk as Uint8Array));
      return { response, bytes: Buffer.concat(chunks), trailers: response.trailers };
    }
    case "push": {
      const { bytes, trailers } = await drain(body.source);
      return { response, bytes, trailers: Object.keys(trailers).length > 0 ? trailers : response.trailers };
    }
    case "messages":
      headers["content-type"] = "application/x-ndjson";
      headers["content-length"] = undefined;
      applyFixedHeaders(response, headers);
      return { response, bytes: await ndjson(body), trailers: response.trailers };
  }
}

/** A push body in full; a source that fails rejects, as a cut connection would end an HTTP caller's read. */
function drain(source: { pipe(sink: PushSink): void }): Promise<{ bytes: Buffer; trailers: HeaderMap }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    source.pipe({
      write: (chunk) => {
        chunks.push(Buffer.from(chunk));
        return true;
      },
      end: (trailers) => resolve({ bytes: Buffer.concat(chunks), trailers }),
      fail: reject,
    });
  });
}

/** grpc-gateway's form, as the HTTP listener writes it: `{"result":…}` per message, a failure as a last `{"error":…}` line. */
async function ndjson(body: MessagesBody): Promise<Buffer> {
  let text = "";
  try {
    for await (const message of body.messages) text += `{"result":${JSON.stringify(message)}}\n`;
  } catch (reason) {
    text += `{"error":${JSON.stringify(GatewayError.from(reason).toStatus())}}\n`;
  }
  return Buffer.from(text, "utf8");
}

function answer({ response, bytes, trailers }: ReadResponse, head: boolean): InjectResponse {
  const headers = defined(response.headers);
  // A body known in full goes with its length, as the HTTP listener writes it.
  const whole = response.body.kind === "bytes" || response.body.kind === "value";
  if (whole && trailers === undefined) headers["content-length"] = String(bytes.byteLength);
  // HEAD: node:http sends the head of the GET answer and no body.
  const body = head ? Buffer.alloc(0) : bytes;
  const result: InjectResponse = {
    status: response.status,
    headers,
    body,
    text: () => body.toString("utf8"),
    json: () => JSON.parse(body.toString("utf8")) as unknown,
    ...(response.error === undefined ? {} : { error: response.error }),
    ...(trailers === undefined ? {} : { trailers: defined(trailers) }),
  };
  return result;
}

function defined(headers: HeaderMap): Record<string, string | string[]> {
  const clean: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) clean[name] = value;
  return clean;
}
