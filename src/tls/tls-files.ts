import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";

/** A PEM file named in the config, resolved against the config file's folder. */
export function tlsFilePath(baseDirectory: string, path: string): string {
  return resolve(baseDirectory, path);
}

/** Reads a file named at `configPath`; a missing or unreadable one is a ConfigError naming both paths. */
export function readTlsFile(file: string, configPath: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError([{ code: ConfigErrorCode.TLS, path: configPath, message: `cannot read ${file} (${code})` }]);
  }
}

/** The problem of a certificate or key that does not load (bad PEM, a key that is not the certificate's), as a ConfigError. */
export function tlsLoadError(error: unknown, configPath: string, what: string): ConfigError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ConfigError([{ code: ConfigErrorCode.TLS, path: configPath, message: `${what} do not load: ${reason}` }]);
}
