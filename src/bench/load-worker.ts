import { parentPort, workerData } from "node:worker_threads";
import type { CoordinatorMessage, WorkerMessage, WorkerTask } from "./load-plan.js";
import { driveLoad, openConnections } from "./load-loop.js";
import { benchTargetFactory } from "./target-registry.js";

/**
 * A load-generating worker thread: builds its target from the plain-data
 * spec, opens its connections, says "ready", runs its share of the round
 * when told to start, and posts what it measured.
 */
const port =
  parentPort ??
  (() => {
    throw new Error("load-worker.js runs as a worker thread");
  })();
const post = (message: WorkerMessage) => port.postMessage(message);

async function run(task: WorkerTask): Promise<void> {
  const target = await benchTargetFactory(task.spec.protocol).create(task.spec);
  try {
    const connections = await openConnections(target, task.connections, task.spec.timeoutMs);
    try {
      const started = new Promise<void>((resolve) => port.once("message", (message: CoordinatorMessage) => message.type === "start" && resolve()));
      post({ type: "ready" });
      await started;
      const result = await driveLoad(connections, target.inFlightPerConnection, task, task.spec.timeoutMs, (requests, errors, measuring) => post({ type: "progress", requests, errors, measuring }));
      post({ type: "result", result });
    } finally {
      for (const connection of connections) connection.close();
    }
  } finally {
    await target.close();
  }
}

run(workerData as WorkerTask).catch((error: unknown) => post({ type: "failed", message: error instanceof Error ? error.message : String(error) }));
