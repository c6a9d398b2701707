import { Worker } from "node:worker_threads";
import type protobuf from "protobufjs";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { MessageShape } from "../../protojson/message-shape.js";
import type { MessageBinding } from "./message-binding.js";
import type { MessageOffloadReply, MessageOffloadRequest, MessageOffloadWorkerData } from "./message-offload-worker.js";

interface Pending {
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (error: GatewayError) => void;
}

interface PooledWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Roots whose descriptor this worker already holds. */
  readonly roots: Set<number>;
}

/** Each proto root is described to a worker once: an id and its JSON descriptor, made on first use. */
const rootIds = new WeakMap<protobuf.Root, { readonly id: number; descriptor: unknown }>();
let nextRootId = 0;

/**
 * Worker threads that turn a big request body straight into protobuf bytes:
 * parse, type by the message and encode all happen there, so a megabyte of
 * JSON or XML costs the event loop only the copy in and the bytes out. The
 * worker runs the same codec and the same ProtoJSON encoder as the main
 * thread, so results and errors are the same. Workers start on first use, do
 * not keep the process alive, and one that dies fails only its own pending
 * jobs and is replaced on the next use.
 */
export class MessageOffloadPool {
  readonly #size: number;
  readonly #data: MessageOffloadWorkerData;
  readonly #workers: (PooledWorker | undefined)[] = [];
  #next = 0;
  #ids = 0;

  constructor(size: number, data: MessageOffloadWorkerData) {
    this.#size = size;
    this.#data = data;
  }

  /** Body bytes → the bytes of the request message `shape.type`, filled as the binding says. */
  encode(bytes: Uint8Array, shape: MessageShape, binding: MessageBinding): Promise<Uint8Array> {
    const slot = this.#next;
    this.#next = (this.#next + 1) % this.#size;
    const pooled = this.#workers[slot] ?? this.#start(slot);
    const root = rootOf(shape.type);
    const id = ++this.#ids;
    return new Promise((resolve, reject) => {
      pooled.pending.set(id, { resolve, reject });
      if (pooled.pending.size === 1) pooled.worker.ref();
      // A copy the worker owns: the caller's buffer may be a slice of a shared pool.
      const copy = new Uint8Array(bytes);
      const request: MessageOffloadRequest = {
        id, bytes: copy, rootId: root.id, root: pooled.roots.has(root.id) ? undefined : root.descriptor,
        type: shape.type.fullName, binding, options: shape.protoJson.options,
      };
      pooled.roots.add(root.id);
      pooled.worker.postMessage(request, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((pooled) => pooled?.worker.terminate()));
  }

  #start(slot: number): PooledWorker {
    const worker = new Worker(new URL("./message-offload-worker.js", import.meta.url), { workerData: this.#data });
    const pooled: PooledWorker = { worker, pending: new Map(), roots: new Set() };
    worker.unref();
    worker.on("message", (reply: MessageOffloadReply) => {
      const pending = pooled.pending.get(reply.id);
      if (pending === undefined) return;
      pooled.pending.delete(reply.id);
      if (pooled.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.bytes);
      else pending.reject(new GatewayError(reply.code, reply.message, { httpStatus: reply.httpStatus }));
    });
    const fail = (reason: string) => {
      if (this.#workers[slot] === pooled) this.#workers[slot] = undefined;
      for (const pending of pooled.pending.values()) pending.reject(new GatewayError(StatusCode.INTERNAL, `the body decoding worker stopped: ${reason}`));
      pooled.pending.clear();
    };
    worker.on("error", (error) => fail(error.message));
    worker.on("exit", (code) => fail(`exit code ${code}`));
    this.#workers[slot] = pooled;
    return pooled;
  }
}

function rootOf(type: protobuf.Type): { readonly id: number; readonly descriptor: unknown } {
  const root = type.root;
  let entry = rootIds.get(root);
  if (entry === undefined) {
    entry = { id: ++nextRootId, descriptor: root.toJSON() };
    rootIds.set(root, entry);
  }
  return entry;
}
