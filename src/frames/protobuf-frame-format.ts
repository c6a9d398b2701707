import type protobuf from "protobufjs";
import { decodeRaw } from "../protojson/binary.js";
import { ProtoRegistry } from "../protos/proto-registry.js";
import { FrameError, type Frame } from "./frame.js";
import type { FrameFormat, FrameFormatFactory } from "./frame-format.js";
import { checkFrame } from "./frame-fields.js";

/**
 * Frames as `rosetta.v1.Frame` messages (protos/rosetta/v1/frame.proto).
 * The body is bytes in the frame's content-type, protobuf when it names
 * none; a body is absent when it is empty (proto3 cannot tell them apart).
 */
export function createProtobufFrameFormat(maxFrameBytes: number): FrameFormat {
  const type = ProtoRegistry.bundled().findType("rosetta.v1.Frame")!;
  return {
    name: "protobuf",
    binary: true,
    bodyMediaType: "application/x-protobuf",
    decode(bytes) {
      if (bytes.byteLength > maxFrameBytes) throw new FrameError(`the frame of ${bytes.byteLength} bytes exceeds the limit of ${maxFrameBytes}`, undefined);
      let message: protobuf.Message;
      try {
        // protobufjs's decoder is lenient (bad wire types, invalid UTF-8, lengths past a
        // sub-message); the strict reader refuses those first.
        decodeRaw(type, bytes);
        message = type.decode(bytes);
      } catch (error) {
        throw new FrameError(`the frame is not a rosetta.v1.Frame message: ${(error as Error).message}`, undefined);
      }
      const fields = type.toObject(message, { defaults: false }) as Record<string, unknown>;
      const body = fields.body as Uint8Array | undefined;
      return checkFrame(fields, body === undefined || body.byteLength === 0 ? undefined : { kind: "bytes", bytes: body });
    },
    encode(frame: Frame) {
      const body = frame.body === undefined ? undefined : frame.body.kind === "bytes" ? frame.body.bytes : Buffer.from(JSON.stringify(frame.body.value));
      return type.encode({ ...frame, body }).finish();
    },
  };
}

export const protobufFrameFormat: FrameFormatFactory = { name: "protobuf", create: (_codecs, limits) => createProtobufFrameFormat(limits.maxFrameBytes) };
