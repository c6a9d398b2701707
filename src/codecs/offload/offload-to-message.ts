import type { Codec } from "../codec.js";
import { createMessageOffloadPool } from "./message-offload-pool.js";
import type { MessageOffloadWorkerData } from "./message-offload-worker.js";

/** What a codec adds to offload its big bodies: `toMessage` and the `close` that stops its workers. */
export interface MessageOffload {
  readonly toMessage: NonNullable<Codec["toMessage"]>;
  readonly close: () => Promise<void>;
}

/**
 * Bodies of `offloadAbove` bytes or more go to a pool of `workers` threads,
 * started on first use; smaller ones (and every body with `workers: 0`)
 * answer undefined and stay on the main thread's fast path untouched.
 */
export function offloadToMessage(workers: number, offloadAbove: number, data: MessageOffloadWorkerData): MessageOffload {
  if (workers === 0) return { toMessage: () => undefined, close: async () => undefined };
  const pool = createMessageOffloadPool(workers, data);
  return {
    toMessage: (bytes, shape, binding) => (bytes.byteLength >= offloadAbove ? pool.run({ bytes, shape, binding }) : undefined),
    close: () => pool.close(),
  };
}
