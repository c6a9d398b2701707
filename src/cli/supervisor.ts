import cluster, { type Worker } from "node:cluster";
import type { GatewayConfig } from "../gateway/gateway-config.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { AdminServer } from "../observability/admin-server.js";
import { ClusterMetrics, type MetricsSnapshot } from "../observability/cluster-metrics.js";
import type { Logger } from "../observability/logger.js";
import { redactSecrets } from "../observability/redact.js";
import type { RouteRow } from "../observability/routes-table.js";
import { isRosettaMessage, reportIntervalMs, type WorkerAnswer, type WorkerQuestion, type WorkerReport } from "./worker-messages.js";

/** A worker that dies within this long of its start counts towards a crash loop. */
const stableAfterMs = 10_000;
/** Consecutive early deaths of one slot that stop the supervisor. */
const crashLoopLimit = 5;
const firstBackoffMs = 100;
const maxBackoffMs = 5_000;
/** How long a scrape or a reload waits for the workers' answers. */
const askTimeoutMs = 5_000;

/** One of the N places a worker process fills; a restarted worker takes the same slot. */
interface Slot {
  readonly slot: number;
  worker: Worker | undefined;
  startedAt: number;
  /** Early deaths in a row. */
  failures: number;
  report: WorkerReport | undefined;
  reportedAt: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * `rosetta start` with `workers` > 1: this process (the cluster primary)
 * binds nothing but the admin listener. It forks one worker per slot, which
 * run the gateway and share the listeners through cluster's round-robin; it
 * restarts a worker that dies (with backoff; a slot that keeps dying early is
 * a crash loop and stops everything with exit 1), forwards SIGHUP, stops the
 * workers gracefully on SIGINT/SIGTERM, and answers the admin endpoints for
 * the whole group. Resolves with the exit code.
 */
export async function runSupervisor(config: GatewayConfig, count: number, logger: Logger, watch?: (changed: (why: string) => void) => { close(): void }): Promise<number> {
  // Round-robin in the primary spreads connections evenly; the OS default (SCHED_NONE) lets the busiest worker win most accepts.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const metrics = new ClusterMetrics();
  const slots: Slot[] = Array.from({ length: count }, (_, index) => ({
    slot: index + 1,
    worker: undefined,
    startedAt: 0,
    failures: 0,
    report: undefined,
    reportedAt: 0,
    restartTimer: undefined,
  }));
  let routes: readonly RouteRow[] = [];
  let stopping = false;
  let everyoneStarted = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let exit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const questions = new Map<number, { readonly answers: WorkerAnswer[]; readonly expected: number; readonly done: () => void }>();
  let nextQuestion = 0;

  const live = () => slots.filter((slot) => slot.worker?.isConnected() === true);
  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.report = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ ROSETTA_WORKER_SLOT: String(slot.slot), ROSETTA_WORKERS: String(count) });
    slot.worker = worker;
    metrics.running(slots.filter((other) => other.worker !== undefined).length);
    logger.info("worker started", { worker: slot.slot, pid: worker.process.pid });
    worker.on("message", (message: unknown) => {
      if (isRosettaMessage<WorkerReport>(message, "rosetta:report")) {
        const first = slot.report === undefined;
        slot.report = message;
        slot.reportedAt = Date.now();
        if (message.routes !== undefined) routes = message.routes;
        if (first) {
          logger.info("worker ready", { worker: slot.slot, pid: worker.process.pid });
          if (!everyoneStarted && slots.every((other) => other.report !== undefined)) {
            everyoneStarted = true;
            logger.info("all workers ready", { workers: count, listeners: message.listeners });
          }
        }
      } else if (isRosettaMessage<WorkerAnswer>(message, "rosetta:answer")) {
        const question = questions.get(message.id);
        if (question === undefined) return;
        question.answers.push(message);
        if (question.answers.length === question.expected) question.done();
      }
    });
    worker.once("exit", (code, signal) => {
      if (slot.worker === worker) slot.worker = undefined;
      metrics.running(slots.filter((other) => other.worker !== undefined).length);
      if (stopping) {
        if (slots.every((other) => other.worker === undefined)) finish();
        return;
      }
      const cause = signal === null ? `exit code ${code}` : `signal ${signal}`;
      if (!everyoneStarted) {
        // Nothing has served yet: a config or bind problem every restart would repeat (the worker printed it).
        logger.error("a worker failed to start; stopping", { worker: slot.slot, pid: worker.process.pid, cause });
        process.stderr.write(`rosetta: worker ${slot.slot} failed to start (${cause}); see its error above\n`);
        void stop(1);
        return;
      }
      slot.failures = Date.now() - slot.startedAt < stableAfterMs ? slot.failures + 1 : 1;
      if (slot.failures >= crashLoopLimit) {
        const message = `worker ${slot.slot} died ${slot.failures} times within ${stableAfterMs / 1000}s of starting (last: ${cause}); stopping`;
        logger.error("worker crash loop; stopping", { worker: slot.slot, cause, failures: slot.failures });
        process.stderr.write(`rosetta: ${message}\n`);
        void stop(1);
        return;
      }
      const delay = Math.min(maxBackoffMs, firstBackoffMs * 2 ** (slot.failures - 1));
      logger.warn("worker died; restarting", { worker: slot.slot, pid: worker.process.pid, cause, restartInMs: delay });
      metrics.restarted();
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    });
  };

  /** Asks every live worker; resolves with the answers that came within the timeout (a worker that is starting or stuck is left out). */
  const ask = (what: WorkerQuestion["what"]): Promise<WorkerAnswer[]> => {
    const workers = live().filter((slot) => slot.report !== undefined);
    if (workers.length === 0) return Promise.resolve([]);
    const id = nextQuestion++;
    return new Promise((resolve) => {
      const answers: WorkerAnswer[] = [];
      const done = () => {
        clearTimeout(timer);
        questions.delete(id);
        resolve(answers);
      };
      const timer = setTimeout(done, askTimeoutMs);
      questions.set(id, { answers, expected: workers.length, done });
      for (const slot of workers) slot.worker?.send({ type: "rosetta:ask", id, what } satisfies WorkerQuestion);
    });
  };

  const admin =
    config.admin === undefined
      ? undefined
      : new AdminServer(config.admin, {
          readiness: () => {
            const reasons: string[] = [];
            if (stopping) reasons.push("the gateway is stopping");
            for (const slot of slots) {
              const report = slot.report;
              if (slot.worker === undefined || report === undefined) reasons.push(`worker ${slot.slot}: not running yet`);
              else if (Date.now() - slot.reportedAt > 3 * reportIntervalMs) reasons.push(`worker ${slot.slot}: no report for ${Date.now() - slot.reportedAt} ms`);
              else reasons.push(...report.reasons.map((reason) => `worker ${slot.slot}: ${reason}`));
            }
            return { ready: reasons.length === 0, reasons };
          },
          metrics: async () => metrics.exposition((await ask("metrics")).map((answer) => answer.metrics ?? ([] as MetricsSnapshot))),
          routes: () => routes,
          // Each worker checks health itself; the lowest-numbered running worker's view stands for all.
          upstreams: () => slots.find((slot) => slot.worker !== undefined && slot.report !== undefined)?.report?.upstreams ?? [],
          config: () => redactSecrets(config.document),
          reload: async () => {
            const answers = await ask("reload");
            const status = answers.length === 0 ? 503 : Math.max(...answers.map((answer) => answer.reload?.status ?? 500));
            return { status, body: { workers: answers.map((answer) => answer.reload?.body) } };
          },
        });

  let forced = false;
  const stop = async (code: number) => {
    if (stopping) {
      if (!forced && code === 0) {
        // A second Ctrl-C: do not wait for in-flight requests.
        forced = true;
        for (const slot of live()) slot.worker?.process.kill("SIGKILL");
      }
      return;
    }
    stopping = true;
    logger.info("shutting down", { workers: live().length });
    for (const slot of slots) clearTimeout(slot.restartTimer);
    // Workers finish their in-flight requests (shutdown.timeout), then exit; one that hangs is killed after that and a margin.
    const killer = setTimeout(() => {
      for (const slot of live()) slot.worker?.process.kill("SIGKILL");
    }, config.shutdownTimeout + 5_000).unref();
    for (const slot of slots) slot.worker?.process.kill("SIGTERM");
    if (slots.every((slot) => slot.worker === undefined)) finish();
    await finished;
    clearTimeout(killer);
    watcher?.close();
    await admin?.close();
    logger.info("stopped");
    exit(code);
  };

  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  // Each worker reloads the file itself (through forWorker); the supervisor only passes the word on.
  const forward = (why: string) => {
    const running = live();
    logger.info("forwarding SIGHUP to the workers", { why, workers: running.map((slot) => slot.slot) });
    for (const slot of running) slot.worker?.process.kill("SIGHUP");
  };
  process.on("SIGHUP", () => forward("SIGHUP"));
  // One watcher for the group (the file, or the etcd key), in the supervisor, rather than one per worker.
  const watcher = watch?.(forward);

  if (admin !== undefined && config.admin !== undefined) {
    try {
      await admin.start();
    } catch (error) {
      const message = `the admin listener cannot listen on ${config.admin.host}:${config.admin.port}: ${(error as Error).message}`;
      throw new ConfigError([{ code: ConfigErrorCode.LISTEN, path: "admin.port", message }]);
    }
    logger.info("admin listening", admin.address());
  }
  logger.info("supervisor started", { workers: count, schedulingPolicy: "round-robin" });
  for (const slot of slots) fork(slot);
  return exited;
}
