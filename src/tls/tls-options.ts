import { ConfigErrorCode } from "../options/error-codes.js";
import { boolean, duration, list, object, oneOf, optional, refine, string, withDefault, type Infer } from "../options/schema.js";

const file = (what: string) => optional(string({ pattern: /\S/, patternHint: "a file path" }), `${what} (PEM file, relative to the config file)`);
const tlsVersion = oneOf(["TLSv1.2", "TLSv1.3"]);

/** A listener's `tls`: its certificate, and optionally the CA that signs its callers' certificates. */
const listenerTlsObject = object(
  {
    cert: file("the server certificate chain"),
    key: file("the private key of `cert`"),
    ca: file("the CA certificates that client certificates are verified against"),
    clientCertificate: withDefault(
      oneOf(["none", "request", "require"]),
      "none",
      "none: not asked; request: asked, and a missing or unverified one is let through (peer.tls.authorized says which); require: a verified one or the handshake fails",
    ),
    minVersion: withDefault(tlsVersion, "TLSv1.2", "oldest TLS version accepted"),
    ciphers: optional(string(), "OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always Node's)"),
    alpn: optional(list(string({ pattern: /^[\x21-\x7e]{1,255}$/, patternHint: "an ALPN protocol id" }), { minItems: 1 }), "ALPN protocols offered, most preferred first"),
    handshakeTimeout: withDefault(duration({ min: 100 }), 10_000, "time for a caller to complete the TLS handshake; slower → the connection is closed (Node's own default is 120s)"),
    reloadInterval: withDefault(duration(), 60_000, "how often the files are read again besides watching them (for file systems without change events); 0s: only watching"),
  },
  "listener tls",
);

export const listenerTlsSchema = refine(listenerTlsObject, (value, context) => {
  if (value.cert === undefined) return context.at("cert").report(ConfigErrorCode.REQUIRED, "tls needs cert (the server certificate) and key");
  if (value.key === undefined) return context.at("key").report(ConfigErrorCode.REQUIRED, "cert needs key (its private key)");
  if (value.clientCertificate !== "none" && value.ca === undefined) {
    return context.at("ca").report(ConfigErrorCode.REQUIRED, `clientCertificate: ${value.clientCertificate} needs ca (the CA that signs the client certificates)`);
  }
  return { ...value, cert: value.cert, key: value.key };
});

export type ListenerTlsOptions = Infer<typeof listenerTlsSchema>;

/** A service's `tls`: how Rosetta verifies the upstream, and its own client certificate (mTLS). */
const upstreamTlsObject = object(
  {
    ca: file("CA certificates the upstream's certificate is verified against (default: the system's)"),
    cert: file("client certificate sent to the upstream (mTLS)"),
    key: file("the private key of `cert`"),
    serverName: optional(string({ pattern: /^[A-Za-z0-9.-]+$/, patternHint: "a host name" }), "the name sent in SNI and checked against the upstream's certificate (default: the target's host)"),
    insecureSkipVerify: withDefault(boolean(), false, "accept any upstream certificate: for tests only, logged as a warning at start"),
    minVersion: withDefault(tlsVersion, "TLSv1.2", "oldest TLS version spoken"),
  },
  "upstream tls",
);

export const upstreamTlsSchema = refine(upstreamTlsObject, (value, context) => {
  if (value.cert !== undefined && value.key === undefined) return context.at("key").report(ConfigErrorCode.REQUIRED, "cert needs key (its private key)");
  if (value.key !== undefined && value.cert === undefined) return context.at("cert").report(ConfigErrorCode.REQUIRED, "key needs cert (the client certificate)");
  return value;
});

export type UpstreamTlsOptions = Infer<typeof upstreamTlsSchema>;
