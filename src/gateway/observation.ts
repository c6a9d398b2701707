import { consumerKey } from "../filters/consumer.js";
import { createAccessLog, type AccessLog } from "../observability/access-log.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { callRecords } from "../observability/call-records.js";
import type { Logger } from "../observability/logger.js";
import { composeObservers, type RequestObserver } from "../observability/request-observer.js";
import { startTracer } from "../observability/tracing.js";
import type { GatewayConfig } from "./gateway-config.js";

/** What watches requests for one gateway: its request observer (undefined when nothing does), and how to stop watching. */
export interface Observation {
  readonly observer: RequestObserver | undefined;
  close(): Promise<void>;
}

/**
 * The access log and the tracer of a config. The call records go first (the
 * trace context both read), the tracer next (it takes over the span id), the
 * access log last. A log file is reopened on SIGUSR2, for logrotate.
 */
export async function startObservation(config: GatewayConfig, logger: Logger): Promise<Observation> {
  const observers: RequestObserver[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  if (config.tracing !== undefined) {
    const tracer = await startTracer(config.tracing);
    observers.push(tracer);
    closers.push(() => tracer.close().catch((error: unknown) => logger.warn("traces could not be exported at stop", { cause: String(error) })));
  }
  if (config.accessLog !== undefined) {
    let accessLog: AccessLog;
    try {
      accessLog = createAccessLog(
        config.accessLog,
        (request) => request.context.get(consumerKey),
        (error) => logger.error("the access log could not be written", { file: config.accessLog?.to, cause: error.message }),
      );
    } catch (error) {
      await Promise.all(closers.map((close) => close()));
      throw new ConfigError([{ code: ConfigErrorCode.VALUE, path: "accessLog.to", message: `the access log file cannot be opened: ${(error as Error).message}` }]);
    }
    observers.push(accessLog);
    const { to } = config.accessLog;
    if (to !== "stdout" && to !== "stderr") {
      const reopen = () => {
        accessLog.reopen();
        logger.info("access log reopened", { file: to });
      };
      process.on("SIGUSR2", reopen);
      closers.push(() => void process.off("SIGUSR2", reopen));
    }
    closers.push(() => accessLog.close());
  }
  if (observers.length > 0) observers.unshift(callRecords);
  return {
    observer: composeObservers(observers),
    async close() {
      await Promise.all(closers.map((close) => close()));
    },
  };
}
