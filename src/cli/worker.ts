import { Gateway } from "../gateway/gateway.js";
import type { GatewayConfig } from "../gateway/gateway-config.js";
import type { Plugins } from "../gateway/plugins.js";
import { forWorker, type WorkerSlot } from "../gateway/workers-options.js";
import type { Logger } from "../observability/logger.js";
import type { RouteRow } from "../observability/routes-table.js";
import { isRosettaMessage, reportIntervalMs, type WorkerAnswer, type WorkerQuestion, type WorkerReport } from "./worker-messages.js";

/**
 * One worker process under the supervisor: the gateway as in a single
 * process, with the listeners shared through cluster, its slice of the FTP
 * passive range, and no admin port of its own (the supervisor asks it for
 * metrics and readiness over IPC). Resolves with the exit code.
 */
export async function runWorker(config: GatewayConfig, slot: WorkerSlot, plugins: Plugins, logger: Logger): Promise<number> {
  const gateway = await Gateway.start(forWorker(config, slot), plugins, logger);
  let lastRoutes: readonly RouteRow[] | undefined;
  const report = () => {
    const routes = gateway.routes();
    const { ready, reasons } = gateway.readiness();
    const message: WorkerReport = {
      type: "rosetta:report",
      slot: slot.slot,
      ready,
      reasons,
      upstreams: gateway.upstreams(),
      listeners: gateway.listeners.map((listener) => ({ name: listener.name, protocol: listener.protocol, port: listener.address().port })),
      ...(routes === lastRoutes ? {} : { routes }),
    };
    lastRoutes = routes;
    if (process.connected) process.send?.(message);
  };
  report();
  const reporting = setInterval(report, reportIntervalMs).unref();
  process.on("message", (message: unknown) => {
    if (isRosettaMessage<WorkerQuestion>(message, "rosetta:ask")) void answer(gateway, message);
  });
  process.on("SIGHUP", () => {
    // The supervisor forwards its SIGHUP here; reload is whatever the gateway's reload handler does.
    if (gateway.reloadHandler === undefined) logger.warn("SIGHUP ignored: configuration reload is not supported yet; restart to apply changes");
    else void gateway.reloadHandler().then(({ status }) => logger.info("reload on SIGHUP", { status }));
  });
  await new Promise<void>((resolve) => {
    // A second signal (Ctrl-C reaches the workers and the supervisor forwards SIGTERM too) changes nothing: the supervisor bounds the wait.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => resolve());
    // Without its supervisor a worker has no one to answer to.
    process.once("disconnect", () => resolve());
  });
  clearInterval(reporting);
  logger.info("shutting down");
  await gateway.stop();
  return 0;
}

async function answer(gateway: Gateway, question: WorkerQuestion): Promise<void> {
  let reply: WorkerAnswer;
  try {
    if (question.what === "metrics") {
      reply = { type: "rosetta:answer", id: question.id, metrics: (await gateway.metrics?.registry.getMetricsAsJSON()) ?? [] };
    } else {
      const reloading = gateway.reloadHandler?.();
      reply = { type: "rosetta:answer", id: question.id, reload: reloading === undefined ? { status: 501, body: { error: "reload not available" } } : await reloading };
    }
  } catch (error) {
    reply = { type: "rosetta:answer", id: question.id, reload: { status: 500, body: { error: error instanceof Error ? error.message : String(error) } } };
  }
  if (process.connected) process.send?.(reply);
}
