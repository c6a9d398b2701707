import { parentPort, workerData } from "node:worker_threads";
import { GatewayError } from "../../core/gateway-error.js";
import { parseXml } from "./xml-parse.js";
import type { XmlLimits } from "./xml-parser.js";

/** Parses big documents off the main thread; the same parser and limits as there. */
export interface ParseRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
}

export type ParseReply =
  | { readonly id: number; readonly ok: true; readonly name: string; readonly node: unknown }
  | { readonly id: number; readonly ok: false; readonly code: number; readonly message: string };

const limits = workerData as XmlLimits;

parentPort!.on("message", (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    const document = parseXml(request.bytes, limits);
    reply = { id: request.id, ok: true, name: document.name, node: document.node };
  } catch (error) {
    const failure = GatewayError.from(error);
    reply = { id: request.id, ok: false, code: failure.code, message: failure.message };
  }
  parentPort!.postMessage(reply);
});
