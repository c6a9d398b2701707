import type { Logger } from "./logger.js";

/** A logger whose every line says which worker process wrote it (slot 1..N and pid). */
export function workerLogger(logger: Logger, worker: number, pid = process.pid): Logger {
  const tag = (fields: Record<string, unknown> | undefined) => ({ worker, pid, ...fields });
  return {
    info: (message, fields) => logger.info(message, tag(fields)),
    warn: (message, fields) => logger.warn(message, tag(fields)),
    error: (message, fields) => logger.error(message, tag(fields)),
  };
}
