import { GatewayError } from "../../core/gateway-error.js";
import { WorkerPool } from "../worker-pool.js";
import type { XmlDocument, XmlNode } from "./xml-node.js";
import type { ParseReply, ParseRequest } from "./xml-parse-worker.js";
import type { XmlLimits } from "./xml-parser.js";

/**
 * Worker threads that parse big XML documents, so a 1 MiB body costs other
 * requests no event-loop time beyond the copy in and out.
 */
export function createXmlParsePool(size: number, limits: XmlLimits): WorkerPool<Uint8Array, ParseReply, XmlDocument> {
  return new WorkerPool({
    size,
    script: new URL("./xml-parse-worker.js", import.meta.url),
    workerData: limits,
    what: "the XML parser worker",
    request: (id, bytes) => {
      // A copy the worker owns: the caller's buffer may be a slice of a shared pool.
      const copy = new Uint8Array(bytes);
      const message: ParseRequest = { id, bytes: copy };
      return { message, transfer: [copy.buffer] };
    },
    settle: (reply): XmlDocument | GatewayError => (reply.ok ? { name: reply.name, node: reply.node as XmlNode } : new GatewayError(reply.code, reply.message)),
  });
}
