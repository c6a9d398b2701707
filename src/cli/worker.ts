import { GatewayHost } from "../gateway/gateway-host.js";
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
 * metrics and readiness over IPC). It runs a reload host, so SIGHUP (which the
 * supervisor forwards) and the supervisor's POST /reload reload this worker:
 * `load` reads the file again and every config, first or reloaded, goes
 * through forWorker. Resolves with the exit code.
 */
export async function runWorker(load: () => Promise<GatewayConfig>, slot: WorkerSlot, plugins: Plugins, logger: Logger, hangUpBeforeStart = false): Promise<number> {
  // SIGHUP must never end a worker. One that arrives while the gateway starts is kept for after the start:
  // the start may have read the config before the change that SIGHUP announces.
  let host: GatewayHost | undefined;
  let reloadWhenStarted = hangUpBeforeStart;
  const reloadOnSignal = (running: GatewayHost) => void running.reloadResponse().then(({ status }) => logger.info("reload on SIGHUP", { status }));
  process.on("SIGHUP", () => {
    if (host === undefined) reloadWhenStarted = true;
    else reloadOnSignal(host);
  });
  const running = await GatewayHost.start({ load: async () => forWorker(await load(), slot), plugins, logger });
  host = running;
  if (reloadWhenStarted) reloadOnSignal(running);
  let lastRoutes: readonly RouteRow[] | undefined;
  const report = () => {
    const { gateway } = running;
    const routes = gateway.routes();
    const { ready, reasons } = gateway.readiness();
    const message: WorkerReport = {
      type: "rosetta:report",
      slot: slot.slot,
      ready,
      reasons,
      upstreams: gateway.upstreams(),
      listeners: running.listeners().map((listener) => ({ name: listener.name, protocol: listener.protocol, port: listener.address().port })),
      ...(routes === lastRoutes ? {} : { routes }),
    };
    lastRoutes = routes;
    if (process.connected) process.send?.(message);
  };
  report();
  const reporting = setInterval(report, reportIntervalMs).unref();
  process.on("message", (message: unknown) => {
    if (isRosettaMessage<WorkerQuestion>(message, "rosetta:ask")) void answer(running, message);
  });
  await new Promise<void>((resolve) => {
    // A second signal (Ctrl-C reaches the workers and the supervisor forwards SIGTERM too) changes nothing: the supervisor bounds the wait.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => resolve());
    // Without its supervisor a worker has no one to answer to.
    process.once("disconnect", () => resolve());
  });
  clearInterval(reporting);
  logger.info("shutting down");
  await running.stop();
  return 0;
}

async function answer(host: GatewayHost, question: WorkerQuestion): Promise<void> {
  let reply: WorkerAnswer;
  try {
    if (question.what === "metrics") {
      // The metrics are the host's (shared across reloads), so counters run on through a reload.
      reply = { type: "rosetta:answer", id: question.id, metrics: (await host.gateway.metrics?.registry.getMetricsAsJSON()) ?? [] };
    } else {
      reply = { type: "rosetta:answer", id: question.id, reload: await host.reloadResponse() };
    }
  } catch (error) {
    reply = { type: "rosetta:answer", id: question.id, reload: { status: 500, body: { error: error instanceof Error ? error.message : String(error) } } };
  }
  if (process.connected) process.send?.(reply);
}
