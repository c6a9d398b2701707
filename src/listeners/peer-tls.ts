import { TLSSocket } from "node:tls";
import type { PeerTls } from "../core/envelope.js";

/** Worked out once per connection (a keep-alive HTTP connection carries many requests). */
const cache = new WeakMap<TLSSocket, PeerTls>();

/** The caller's TLS session and client certificate, or undefined on a plain socket. */
export function peerTlsOf(socket: unknown): PeerTls | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  let known = cache.get(socket);
  if (known !== undefined) return known;
  const certificate = socket.getPeerCertificate();
  const sent = certificate !== null && typeof certificate === "object" && certificate.subject !== undefined;
  const error = socket.authorizationError;
  known = Object.freeze({
    protocol: socket.getProtocol() ?? "unknown",
    alpn: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : undefined,
    authorized: sent && socket.authorized,
    authorizationError: error === null || error === undefined ? undefined : String(error),
    subject: sent ? distinguishedName(certificate.subject) : undefined,
    commonName: sent ? first(certificate.subject.CN) : undefined,
    subjectAltNames: sent && typeof certificate.subjectaltname === "string" ? Object.freeze(certificate.subjectaltname.split(", ")) : [],
    issuer: sent ? distinguishedName(certificate.issuer) : undefined,
    fingerprint256: sent ? certificate.fingerprint256 : undefined,
    serialNumber: sent ? certificate.serialNumber : undefined,
  });
  cache.set(socket, known);
  return known;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function distinguishedName(name: object | undefined): string | undefined {
  if (name === undefined) return undefined;
  return Object.entries(name)
    .flatMap(([key, value]) => (Array.isArray(value) ? value.map((item) => `${key}=${String(item)}`) : [`${key}=${String(value)}`]))
    .join(", ");
}
