import { Worker, type Transferable } from "node:worker_threads";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";

/** A message to a worker, with the buffers it takes over. */
export interface WorkerMessage {
  readonly message: unknown;
  readonly transfer: readonly Transferable[];
}

export interface WorkerPoolOptions<Job, Reply, Result> {
  readonly size: number;
  /** The worker's module; it answers each message with a reply carrying the same `id`. */
  readonly script: URL;
  readonly workerData: unknown;
  /** Names the worker in errors: "the XML parser worker stopped: …". */
  readonly what: string;
  /** The message for one job; `known` is this worker's own set, for what it need be told only once. */
  readonly request: (id: number, job: Job, known: Set<number>) => WorkerMessage;
  /** A reply's result, or the error it carries. */
  readonly settle: (reply: Reply) => Result | GatewayError;
}

interface Pending<Result> {
  readonly resolve: (result: Result) => void;
  readonly reject: (error: GatewayError) => void;
}

interface PooledWorker<Result> {
  readonly worker: Worker;
  readonly pending: Map<number, Pending<Result>>;
  readonly known: Set<number>;
}

/**
 * Worker threads that answer jobs by id, taken in turn. Workers start on
 * first use and keep the process alive only while they have work; one that
 * dies fails only its own pending jobs and is replaced on the next use.
 */
export class WorkerPool<Job, Reply extends { readonly id: number }, Result> {
  readonly #options: WorkerPoolOptions<Job, Reply, Result>;
  readonly #workers: (PooledWorker<Result> | undefined)[] = [];
  #next = 0;
  #ids = 0;

  constructor(options: WorkerPoolOptions<Job, Reply, Result>) {
    this.#options = options;
  }

  run(job: Job): Promise<Result> {
    const slot = this.#next;
    this.#next = (this.#next + 1) % this.#options.size;
    const pooled = this.#workers[slot] ?? this.#start(slot);
    const id = ++this.#ids;
    return new Promise((resolve, reject) => {
      const { message, transfer } = this.#options.request(id, job, pooled.known);
      pooled.pending.set(id, { resolve, reject });
      if (pooled.pending.size === 1) pooled.worker.ref();
      pooled.worker.postMessage(message, transfer);
    });
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((pooled) => pooled?.worker.terminate()));
  }

  #start(slot: number): PooledWorker<Result> {
    const { script, workerData, what, settle } = this.#options;
    const worker = new Worker(script, { workerData });
    const pooled: PooledWorker<Result> = { worker, pending: new Map(), known: new Set() };
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const pending = pooled.pending.get(reply.id);
      if (pending === undefined) return;
      pooled.pending.delete(reply.id);
      if (pooled.pending.size === 0) worker.unref();
      const result = settle(reply);
      if (result instanceof GatewayError) pending.reject(result);
      else pending.resolve(result);
    });
    const fail = (reason: string) => {
      if (this.#workers[slot] === pooled) this.#workers[slot] = undefined;
      for (const pending of pooled.pending.values()) pending.reject(new GatewayError(StatusCode.INTERNAL, `${what} stopped: ${reason}`));
      pooled.pending.clear();
    };
    worker.on("error", (error) => fail(error.message));
    worker.on("exit", (code) => fail(`exit code ${code}`));
    this.#workers[slot] = pooled;
    return pooled;
  }
}
