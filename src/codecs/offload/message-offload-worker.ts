import { parentPort, workerData } from "node:worker_threads";
import protobuf from "protobufjs";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { buildRequestJson } from "../../protojson/request-message.js";
import { ProtoRegistry } from "../../protos/proto-registry.js";
import { messageShape } from "../../protojson/message-shape.js";
import type { Codec } from "../codec.js";
import type { MessageBinding } from "./message-binding.js";
import { createJsonCodec, type JsonCodecOptions } from "../json/json-codec.js";
import { resolveFieldPath } from "../../protojson/field-path.js";
import { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import type { ProtoJsonOptions } from "../../protojson/protojson-options.js";
import { createXmlCodec } from "../xml/xml-codec.js";
import type { XmlCodecOptions } from "../xml/xml-options.js";

/** Which codec the worker decodes with, under the same options as the main thread's. */
export type MessageOffloadWorkerData = { readonly codec: "json"; readonly options: JsonCodecOptions } | { readonly codec: "xml"; readonly options: XmlCodecOptions };

export interface MessageOffloadRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly rootId: number;
  /** The root's JSON descriptor, sent with the first job that needs it. */
  readonly root: unknown;
  /** Full name of the request message type, with the leading dot. */
  readonly type: string;
  readonly binding: MessageBinding;
  readonly options: ProtoJsonOptions;
}

export type MessageOffloadReply =
  | { readonly id: number; readonly ok: true; readonly bytes: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly code: StatusCode; readonly message: string; readonly httpStatus: number };

const data = workerData as MessageOffloadWorkerData;
// The main thread's codec with the work kept here: no nested workers.
const codec: Codec = data.codec === "json" ? createJsonCodec({ ...data.options, workers: 0 }) : createXmlCodec({ ...data.options, workers: 0 });
const registries = new Map<number, ProtoRegistry>();

async function encode(request: MessageOffloadRequest): Promise<Uint8Array> {
  let registry = registries.get(request.rootId);
  if (registry === undefined) {
    if (request.root === undefined) throw new GatewayError(StatusCode.INTERNAL, "the body decoding worker lost a proto root");
    registry = ProtoRegistry.fromRoot(protobuf.Root.fromJSON(request.root as protobuf.INamespace));
    registries.set(request.rootId, registry);
  }
  const type = registry.findType(request.type);
  if (type === undefined) throw new GatewayError(StatusCode.INTERNAL, `the body decoding worker has no type ${request.type}`);
  const protoJson = ProtoJsonMapping.forRegistry(registry, request.options);
  const { binding } = request;
  const found = binding.body === "*" ? undefined : resolveFieldPath(type, binding.body);
  const value = await codec.decode(request.bytes, found === undefined ? messageShape(type, protoJson) : messageShape(found.parent, protoJson, found.field));
  const mapping = { requestType: type, body: binding.body, pathFields: binding.pathFields, rejectUnknownQuery: binding.rejectUnknownQuery };
  const fields = { params: { ...binding.params }, rawQuery: binding.rawQuery, query: new URLSearchParams(binding.rawQuery) };
  const bytes = protoJson.encode(type, buildRequestJson(mapping, fields, value));
  // Transfer a buffer of exactly these bytes (the encoder's may be a shared pool).
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

parentPort!.on("message", (request: MessageOffloadRequest) => {
  encode(request).then(
    (bytes) => {
      const reply: MessageOffloadReply = { id: request.id, ok: true, bytes };
      parentPort!.postMessage(reply, [bytes.buffer as ArrayBuffer]);
    },
    (error: unknown) => {
      const failure = GatewayError.from(error);
      const reply: MessageOffloadReply = { id: request.id, ok: false, code: failure.code, message: failure.message, httpStatus: failure.httpStatus };
      parentPort!.postMessage(reply);
    },
  );
});
