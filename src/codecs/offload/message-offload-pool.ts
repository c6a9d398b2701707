import type protobuf from "protobufjs";
import { GatewayError } from "../../core/gateway-error.js";
import type { MessageShape } from "../../protojson/message-shape.js";
import { WorkerPool } from "../worker-pool.js";
import type { MessageBinding } from "./message-binding.js";
import type { MessageOffloadReply, MessageOffloadRequest, MessageOffloadWorkerData } from "./message-offload-worker.js";

/** One body to turn into the bytes of the request message `shape.type`, filled as the binding says. */
export interface MessageOffloadJob {
  readonly bytes: Uint8Array;
  readonly shape: MessageShape;
  readonly binding: MessageBinding;
}

/** Each proto root is described to a worker once: an id and its JSON descriptor, made on first use. */
const rootIds = new WeakMap<protobuf.Root, { readonly id: number; descriptor: unknown }>();
let nextRootId = 0;

/**
 * Worker threads that turn a big request body straight into protobuf bytes:
 * parse, type by the message and encode all happen there, so a megabyte of
 * JSON or XML costs the event loop only the copy in and the bytes out. The
 * worker runs the same codec and the same ProtoJSON encoder as the main
 * thread, so results and errors are the same.
 */
export function createMessageOffloadPool(size: number, data: MessageOffloadWorkerData): WorkerPool<MessageOffloadJob, MessageOffloadReply, Uint8Array> {
  return new WorkerPool({
    size,
    script: new URL("./message-offload-worker.js", import.meta.url),
    workerData: data,
    what: "the body decoding worker",
    request: (id, { bytes, shape, binding }, knownRoots) => {
      const root = rootOf(shape.type);
      // A copy the worker owns: the caller's buffer may be a slice of a shared pool.
      const copy = new Uint8Array(bytes);
      const message: MessageOffloadRequest = {
        id,
        bytes: copy,
        rootId: root.id,
        root: knownRoots.has(root.id) ? undefined : root.descriptor,
        type: shape.type.fullName,
        binding,
        options: shape.protoJson.options,
      };
      knownRoots.add(root.id);
      return { message, transfer: [copy.buffer] };
    },
    settle: (reply) => (reply.ok ? reply.bytes : new GatewayError(reply.code, reply.message, { httpStatus: reply.httpStatus })),
  });
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
