import { Worker } from "node:worker_threads";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { XmlDocument, XmlNode } from "./xml-node.js";
import type { ParseReply, ParseRequest } from "./xml-parse-worker.js";
import type { XmlScanLimits } from "./xml-scan.js";

interface Pending {
  readonly resolve: (document: XmlDocument) => void;
  readonly reject: (error: GatewayError) => void;
}

interface PooledWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * Worker threads that parse big XML documents, so a 1 MiB body costs other
 * requests no event-loop time beyond the copy in and out. Workers start on
 * first use, do not keep the process alive, and one that dies fails only its
 * own pending parses and is replaced on the next use.
 */
export class XmlParsePool {
  readonly #size: number;
  readonly #limits: XmlScanLimits;
  readonly #workers: (PooledWorker | undefined)[] = [];
  #next = 0;
  #ids = 0;

  constructor(size: number, limits: XmlScanLimits) {
    this.#size = size;
    this.#limits = limits;
  }

  parse(bytes: Uint8Array): Promise<XmlDocument> {
    const slot = this.#next;
    this.#next = (this.#next + 1) % this.#size;
    const pooled = this.#workers[slot] ?? this.#start(slot);
    const id = ++this.#ids;
    return new Promise((resolve, reject) => {
      pooled.pending.set(id, { resolve, reject });
      if (pooled.pending.size === 1) pooled.worker.ref();
      // A copy the worker owns: the caller's buffer may be a slice of a shared pool.
      const copy = new Uint8Array(bytes);
      const request: ParseRequest = { id, bytes: copy };
      pooled.worker.postMessage(request, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((pooled) => pooled?.worker.terminate()));
  }

  #start(slot: number): PooledWorker {
    const worker = new Worker(new URL("./xml-parse-worker.js", import.meta.url), { workerData: this.#limits });
    const pooled: PooledWorker = { worker, pending: new Map() };
    worker.unref();
    worker.on("message", (reply: ParseReply) => {
      const pending = pooled.pending.get(reply.id);
      if (pending === undefined) return;
      pooled.pending.delete(reply.id);
      if (pooled.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve({ name: reply.name, node: reply.node as XmlNode });
      else pending.reject(new GatewayError(reply.code, reply.message));
    });
    const fail = (reason: string) => {
      if (this.#workers[slot] === pooled) this.#workers[slot] = undefined;
      for (const pending of pooled.pending.values()) pending.reject(new GatewayError(StatusCode.INTERNAL, `the XML parser worker stopped: ${reason}`));
      pooled.pending.clear();
    };
    worker.on("error", (error) => fail(error.message));
    worker.on("exit", (code) => fail(`exit code ${code}`));
    this.#workers[slot] = pooled;
    return pooled;
  }
}
