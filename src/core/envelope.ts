import type { Body } from "./body.js";
import type { Cancellation } from "./cancellation.js";
import type { ContextBag } from "./context.js";
import type { GatewayError } from "./gateway-error.js";

/** Header names are lower case; repeated headers are joined with ", " except set-cookie (an array), as in Node; undefined means absent. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** Who sent the request and through which listener. */
export interface Peer {
  readonly address: string;
  readonly port: number;
  /** The listener's configured name. */
  readonly listener: string;
  /** The listener's protocol: http, ws, tcp, udp, ftp. */
  readonly protocol: string;
  /** The scheme the caller used towards Rosetta, for X-Forwarded-Proto. */
  readonly scheme: "http" | "https";
  /** Set when the caller came over TLS: the session and, if one was sent, the client certificate. */
  readonly tls?: PeerTls;
}

/**
 * A caller's TLS session as filters see it. The certificate fields are set
 * only when the caller sent a certificate; `authorized` says whether it was
 * verified against the listener's `ca` (with `clientCertificate: require`, it
 * always is, or the handshake failed).
 */
export interface PeerTls {
  /** "TLSv1.3", "TLSv1.2". */
  readonly protocol: string;
  /** The ALPN protocol agreed, if any. */
  readonly alpn: string | undefined;
  readonly authorized: boolean;
  /** Why a sent certificate was not verified (OpenSSL's code, e.g. "UNABLE_TO_VERIFY_LEAF_SIGNATURE"). */
  readonly authorizationError: string | undefined;
  /** The certificate's subject as `CN=alice, O=Example`, in the certificate's order. */
  readonly subject: string | undefined;
  /** The subject's CN, the usual name of a client. */
  readonly commonName: string | undefined;
  /** Subject alternative names as OpenSSL writes them: `DNS:alice.example`, `URI:spiffe://…`, `email:…`. */
  readonly subjectAltNames: readonly string[];
  readonly issuer: string | undefined;
  /** SHA-256 of the certificate, colon-separated upper-case hex, for pinning. */
  readonly fingerprint256: string | undefined;
  readonly serialNumber: string | undefined;
}

/** W3C trace context, as received or started by Rosetta. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate: string | undefined;
}

/**
 * The one request type every listener produces and every endpoint consumes.
 * Filters may replace `path`, `headers` and `body`; everything a listener
 * knows about the wire stays in the listener.
 */
export interface RequestEnvelope {
  readonly method: string;
  /** The request path as sent, still percent-encoded, without the query. */
  path: string;
  /** The query string without `?`, as sent; "" when there is none. */
  rawQuery: string;
  /** `rawQuery` parsed on first use. */
  readonly query: URLSearchParams;
  /** Path-template variables bound by the router, percent-decoded. */
  params: Record<string, string>;
  headers: HeaderMap;
  body: Body;
  readonly peer: Peer;
  readonly requestId: string;
  readonly trace: TraceContext | undefined;
  /** Absolute time (ms since epoch) by which the caller wants an answer, if any. */
  deadline: number | undefined;
  readonly cancellation: Cancellation;
  readonly context: ContextBag;
}

export interface ResponseEnvelope {
  /** The HTTP status the caller sees (frames on other listeners carry the same number). */
  status: number;
  headers: HeaderMap;
  body: Body;
  /** Trailers to send after the body, where the caller's protocol has them. */
  trailers?: HeaderMap;
  /** Set when this response reports a failure; protocols with their own error form (SOAP faults, frames) use it. */
  error?: GatewayError;
  /**
   * Headers a filter decided that a listener would otherwise choose itself
   * when it writes the body (Content-Type from the codec, Cache-Control of
   * an event stream); listeners write these over their own. undefined removes.
   */
  fixedHeaders?: HeaderMap;
}

/** Writes a response's fixed headers over the ones its listener chose. */
export function applyFixedHeaders(response: ResponseEnvelope, headers: HeaderMap): void {
  const fixed = response.fixedHeaders;
  if (fixed === undefined) return;
  for (const name in fixed) headers[name] = fixed[name];
}

/** The content type of a header map, without parameters, lower case; undefined when absent. */
export function mediaTypeOf(headers: HeaderMap): string | undefined {
  return mediaType(headers["content-type"]);
}

/** A Content-Type value without parameters, lower case. */
export function mediaType(contentType: string | string[] | undefined): string | undefined {
  if (typeof contentType !== "string") return undefined;
  const semicolon = contentType.indexOf(";");
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** A header as one string: repeated values joined with ",". */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}
