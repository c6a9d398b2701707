import { parentPort } from "node:worker_threads";

/** A worker for the pool's tests: echoes a job (at once, or after a timer of its own), holds it back until told, or dies (exit code 3). */
export interface PoolTestJob {
  readonly id: number;
  readonly action: "echo" | "hold" | "release" | "crash" | "fail" | "later";
  readonly text: string;
}

const held: PoolTestJob[] = [];

parentPort?.on("message", (job: PoolTestJob) => {
  switch (job.action) {
    case "hold":
      held.push(job);
      return;
    case "release":
      for (const waiting of held.splice(0)) parentPort?.postMessage({ id: waiting.id, text: waiting.text });
      parentPort?.postMessage({ id: job.id, text: job.text });
      return;
    case "crash":
      process.exit(3);
      return;
    case "fail":
      parentPort?.postMessage({ id: job.id, error: job.text });
      return;
    case "later":
      setTimeout(() => parentPort?.postMessage({ id: job.id, text: job.text }), 100);
      return;
    case "echo":
      parentPort?.postMessage({ id: job.id, text: job.text });
  }
});
