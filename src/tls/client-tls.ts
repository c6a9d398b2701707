import { createSecureContext, type ConnectionOptions } from "node:tls";
import type { Logger } from "../observability/logger.js";
import { readTlsFile, tlsFilePath, tlsLoadError } from "./tls-files.js";
import type { UpstreamTlsOptions } from "./tls-options.js";

/** What every TLS client (undici, node:http2, tls.connect, grpc-js) is given: PEM bytes and how to verify. */
export interface ClientTls {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly serverName: string | undefined;
  readonly rejectUnauthorized: boolean;
  /** For tls.connect, http2.connect and undici's `connect`. */
  readonly connectOptions: ConnectionOptions;
}

/**
 * Loads a service's `tls` once, when the service is created: a file that
 * cannot be read, or a key that is not the certificate's, is a ConfigError
 * naming `configPath.tls.<key>`. `insecureSkipVerify` is logged loudly.
 */
export function loadClientTls(options: UpstreamTlsOptions, baseDirectory: string, configPath: string, logger: Logger): ClientTls {
  const at = `${configPath}.tls`;
  const read = (key: "ca" | "cert" | "key") => {
    const path = options[key];
    return path === undefined ? undefined : readTlsFile(tlsFilePath(baseDirectory, path), `${at}.${key}`);
  };
  const ca = read("ca");
  const cert = read("cert");
  const key = read("key");
  const connectOptions: ConnectionOptions = {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert, key }),
    ...(options.serverName === undefined ? {} : { servername: options.serverName }),
    rejectUnauthorized: !options.insecureSkipVerify,
    minVersion: options.minVersion,
  };
  try {
    createSecureContext(connectOptions);
  } catch (error) {
    throw tlsLoadError(error, at, "the CA, certificate and key");
  }
  if (options.insecureSkipVerify) {
    logger.warn("TLS verification is OFF for this upstream (tls.insecureSkipVerify): anyone on the path can impersonate it; use it for tests only", { service: configPath });
  }
  return { ca, cert, key, serverName: options.serverName, rejectUnauthorized: !options.insecureSkipVerify, connectOptions };
}
