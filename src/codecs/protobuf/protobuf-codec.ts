import type protobuf from "protobufjs";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import { byteSize, integer, object, withDefault, type Infer } from "../../options/schema.js";
import { ProtoRegistry } from "../../protos/proto-registry.js";
import type { BodyShape } from "../../core/body-shape.js";
import type { Codec, CodecFactory } from "../codec.js";
import { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";
import { defaultProtoJsonOptions } from "../../protojson/protojson-options.js";

const optionsSchema = object(
  {
    maxBytes: withDefault(byteSize({ min: 1 }), 4 * 1024 * 1024, "largest protobuf body decoded"),
    maxDepth: withDefault(integer({ min: 1, max: 1000 }), 100, "deepest nesting of messages (and groups) accepted in a body"),
  },
  "protobuf codec options",
);

export type ProtobufCodecOptions = Infer<typeof optionsSchema>;

/**
 * `application/x-protobuf`: the binary form of the route's message. Bodies
 * the route has no message for are written as what they are: an error as
 * `google.rpc.Status`, anything else as `google.protobuf.Value` (the type
 * that holds any JSON value), so every reply has a protobuf form. Bodies are
 * read strictly: malformed bytes are INVALID_ARGUMENT saying what is wrong.
 */
export function createProtobufCodec(options: ProtobufCodecOptions): Codec {
  const registry = ProtoRegistry.bundled();
  const bundled = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  const status = registry.findType("google.rpc.Status")!;
  const value = registry.findType("google.protobuf.Value")!;
  const typeOf = (shape: BodyShape | undefined): { protoJson: ProtoJsonMapping; type: protobuf.Type } => {
    if (shape?.kind === "message") {
      if (shape.field === undefined) return { protoJson: shape.protoJson, type: shape.type };
      if (shape.field.messageType !== undefined && !shape.field.repeated && !shape.field.map) return { protoJson: shape.protoJson, type: shape.field.messageType };
    }
    return { protoJson: bundled, type: shape?.kind === "document" && shape.root === "Status" ? status : value };
  };
  return {
    name: "protobuf",
    mediaTypes: ["application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf"],
    maxBytes: options.maxBytes,
    encode(body, shape) {
      const { protoJson, type } = typeOf(shape);
      return protoJson.encode(type, body);
    },
    decode(bytes, shape) {
      if (bytes.byteLength > options.maxBytes) {
        throw new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `protobuf body of ${bytes.byteLength} bytes exceeds the limit of ${options.maxBytes}`, { httpStatus: 413 });
      }
      const { protoJson, type } = typeOf(shape);
      try {
        return sparse(protoJson).decode(type, bytes, options.maxDepth);
      } catch (error) {
        const reason = GatewayError.from(error);
        // A caller's malformed bytes are its error, not the gateway's.
        throw new GatewayError(StatusCode.INVALID_ARGUMENT, reason.message, { cause: error });
      }
    },
  };
}

const sparseCodecs = new WeakMap<ProtoJsonMapping, ProtoJsonMapping>();

/**
 * Decoding writes only the fields the bytes have: with unpopulated fields
 * emitted, an unset google.protobuf.Value would come back as JSON null and
 * reach the upstream as a set NULL_VALUE.
 */
function sparse(protoJson: ProtoJsonMapping): ProtoJsonMapping {
  let found = sparseCodecs.get(protoJson);
  if (found === undefined) {
    found = protoJson.options.emitUnpopulated ? protoJson.withOptions({ ...protoJson.options, emitUnpopulated: false }) : protoJson;
    sparseCodecs.set(protoJson, found);
  }
  return found;
}

export const protobufCodecFactory: CodecFactory<ProtobufCodecOptions> = {
  name: "protobuf",
  optionsSchema,
  create: createProtobufCodec,
};
