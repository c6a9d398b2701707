import { pino, destination } from "pino";

/**
 * The gateway's log sink: pino, one JSON object per line on stderr, ready
 * for a log shipper. Start-up, shutdown and failures are logged; the request
 * hot path logs nothing unless something goes wrong.
 */
export interface Logger {
  /** Detail for diagnosis, off unless the level is debug; optional so a small logger may leave it out. */
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export function createLogger(level: LogLevel): Logger {
  const sink = pino({ level, base: { service: "rosetta" } }, destination({ fd: 2, sync: true }));
  return {
    debug: (message, fields) => sink.debug(fields ?? {}, message),
    info: (message, fields) => sink.info(fields ?? {}, message),
    warn: (message, fields) => sink.warn(fields ?? {}, message),
    error: (message, fields) => sink.error(fields ?? {}, message),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
