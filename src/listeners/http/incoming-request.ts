import { Transform, type TransformCallback } from "node:stream";
import type { IncomingMessage } from "node:http";
import { emptyBody, type Body } from "../../core/body.js";
import type { HeaderMap, Peer, TraceContext } from "../../core/envelope.js";
import { requestIdOf, traceOf } from "../request-identity.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { bodyTooLarge } from "../../core/read-body.js";
import { stripHopByHop } from "../../http/hop-by-hop.js";
import type { HttpListenerOptions } from "./http-options.js";

export interface IncomingParts {
  readonly path: string;
  readonly rawQuery: string;
  readonly body: Body;
  readonly requestId: string;
  readonly trace: TraceContext | undefined;
  readonly peer: Peer;
}

/**
 * Checks a node:http request against the edge rules and splits it into the
 * envelope's parts. Returns a GatewayError for anything the caller must be
 * told about (431, 413, 400); never throws.
 */
export function readIncoming(req: IncomingMessage, options: HttpListenerOptions, listener: string): IncomingParts | GatewayError {
  const raw = req.rawHeaders;
  // Node keeps at most maxHeadersCount headers and drops the rest silently; it is
  // set one above the limit, so reaching it means the caller sent too many.
  if (raw.length > options.maxHeaderCount * 2) {
    return new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `more than ${options.maxHeaderCount} request headers`, { httpStatus: 431 });
  }
  let hosts = 0;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length === 4 && name.toLowerCase() === "host") hosts++;
  }
  if (hosts > 1) return new GatewayError(StatusCode.INVALID_ARGUMENT, "more than one Host header");

  const url = req.url ?? "/";
  if (url.charCodeAt(0) !== 47 /* / */) {
    return new GatewayError(StatusCode.INVALID_ARGUMENT, "only origin-form request targets (\"/path?query\") are accepted; Rosetta is not a forward proxy");
  }
  const questionMark = url.indexOf("?");
  const path = questionMark < 0 ? url : url.slice(0, questionMark);
  const rawQuery = questionMark < 0 ? "" : url.slice(questionMark + 1);

  const headers = req.headers;
  const body = readBody(req, headers["content-length"], headers["transfer-encoding"] !== undefined, options.maxBodyBytes);
  if (body instanceof GatewayError) return body;
  stripHopByHop(headers);

  const requestId = requestIdOf(headers as HeaderMap);
  const trace = traceOf(headers as HeaderMap);
  const socket = req.socket;
  const peer: Peer = {
    address: socket.remoteAddress ?? "unknown",
    port: socket.remotePort ?? 0,
    listener,
    protocol: "http",
    scheme: "encrypted" in socket && socket.encrypted === true ? "https" : "http",
  };
  return { path, rawQuery, body, requestId, trace, peer };
}

function readBody(req: IncomingMessage, contentLength: string | undefined, chunked: boolean, maxBodyBytes: number): Body | GatewayError {
  if (contentLength !== undefined) {
    // llhttp has already rejected malformed and conflicting Content-Length values.
    const length = Number(contentLength);
    if (length > maxBodyBytes) return bodyTooLarge(maxBodyBytes);
    return length === 0 ? emptyBody : { kind: "readable", stream: req, length };
  }
  if (!chunked) return emptyBody;
  return { kind: "readable", stream: req.pipe(new BodyLimit(maxBodyBytes)), length: undefined };
}

/** Counts a chunked body as it streams and fails it once it passes the limit. */
class BodyLimit extends Transform {
  #seen = 0;
  constructor(readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.byteLength;
    if (this.#seen > this.limit) callback(bodyTooLarge(this.limit));
    else callback(null, chunk);
  }
}
