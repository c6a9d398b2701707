import { WorkerPool } from "../../src/codecs/worker-pool.js";

/**
 * A process whose only work is one pool call the worker answers after a
 * timer of its own: it prints the reply only if the busy pool kept it alive,
 * and exits afterwards only if the idle pool lets it go.
 */
const pool = new WorkerPool<{ action: string; text: string }, { id: number; text: string }, string>({
  size: 1,
  script: new URL("./pool-test-worker.js", import.meta.url),
  workerData: undefined,
  what: "the test worker",
  request: (id, job) => ({ message: { id, ...job }, transfer: [] }),
  settle: (reply) => reply.text,
});
void pool.run({ action: "later", text: "answered" }).then((text) => process.stdout.write(text));
