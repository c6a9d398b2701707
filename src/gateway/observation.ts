import { consumerKey } from "../filters/consumer.js";
import { createAccessLog, type AccessLog, type AccessLogOptions } from "../observability/access-log.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import type { Logger } from "../observability/logger.js";
import type { RequestObserver } from "../observability/request-observer.js";
import { startTracer, type TracingOptions } from "../observability/tracing.js";

/** An observer the gateway started, and how to stop it (flush, close files, unhook signals). */
export interface OpenedObserver {
  readonly observer: RequestObserver;
  close(): Promise<void>;
}

/** The tracer of `tracing`: the OpenTelemetry SDK is loaded now, and spans still buffered are exported at stop. */
export async function openTracer(options: TracingOptions, logger: Logger): Promise<OpenedObserver> {
  const tracer = await startTracer(options);
  return {
    observer: tracer,
    close: () => tracer.close().catch((error: unknown) => logger.warn("traces could not be exported at stop", { cause: String(error) })),
  };
}

/**
 * The access log of `accessLog`, with the consumer an authentication filter
 * set. A file that cannot be opened is a config error at accessLog.to; a
 * log file is reopened on SIGUSR2, for logrotate.
 */
export function openAccessLog(options: AccessLogOptions, logger: Logger): OpenedObserver {
  let accessLog: AccessLog;
  try {
    accessLog = createAccessLog(
      options,
      (request) => request.context.get(consumerKey),
      (error) => logger.error("the access log could not be written", { file: options.to, cause: error.message }),
    );
  } catch (error) {
    throw new ConfigError([{ code: ConfigErrorCode.VALUE, path: "accessLog.to", message: `the access log file cannot be opened: ${(error as Error).message}` }]);
  }
  const { to } = options;
  let reopen: (() => void) | undefined;
  if (to !== "stdout" && to !== "stderr") {
    reopen = () => {
      accessLog.reopen();
      logger.info("access log reopened", { file: to });
    };
    process.on("SIGUSR2", reopen);
  }
  return {
    observer: accessLog,
    async close() {
      if (reopen !== undefined) process.off("SIGUSR2", reopen);
      accessLog.close();
    },
  };
}
