import type { IncomingMessage } from "node:http";
import type { HeaderMap, Peer, TraceContext } from "../../core/envelope.js";
import { requestIdOf, traceOf } from "../request-identity.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { bodyTooLarge } from "../../core/read-body.js";
import { stripHopByHop } from "../../core/hop-by-hop.js";
import type { HttpListenerOptions } from "./http-options.js";
import { peerTlsOf } from "../peer-tls.js";

export interface IncomingParts {
  readonly path: string;
  readonly rawQuery: string;
  /** The body's declared length: 0 without a body, undefined when chunked. */
  readonly length: number | undefined;
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
  // node:http's own header count limit is off (Node 20 drops the surplus silently,
  // Node 24 fails the head as too large); maxHeaderBytes bounds what arrives.
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
    return new GatewayError(StatusCode.INVALID_ARGUMENT, 'only origin-form request targets ("/path?query") are accepted; Rosetta is not a forward proxy');
  }
  const questionMark = url.indexOf("?");
  const path = questionMark < 0 ? url : url.slice(0, questionMark);
  const rawQuery = questionMark < 0 ? "" : url.slice(questionMark + 1);

  const headers = req.headers;
  const declared = headers["content-length"];
  // llhttp has already rejected malformed and conflicting Content-Length values.
  const length = declared !== undefined ? Number(declared) : headers["transfer-encoding"] !== undefined ? undefined : 0;
  if (length !== undefined && length > options.maxBodyBytes) return bodyTooLarge(options.maxBodyBytes);
  stripHopByHop(headers);

  const requestId = requestIdOf(headers as HeaderMap);
  const trace = traceOf(headers as HeaderMap);
  const socket = req.socket;
  const tls = peerTlsOf(socket);
  const peer: Peer = {
    address: socket.remoteAddress ?? "unknown",
    port: socket.remotePort ?? 0,
    listener,
    protocol: "http",
    scheme: tls === undefined ? "http" : "https",
    ...(tls === undefined ? {} : { tls }),
  };
  return { path, rawQuery, length, requestId, trace, peer };
}
