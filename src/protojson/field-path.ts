import type protobuf from "protobufjs";
import { messageInfo, type FieldInfo } from "./message-info.js";

/** The last field of a dotted path and the message type that holds it. */
export interface ResolvedFieldPath {
  readonly parent: protobuf.Type;
  readonly field: FieldInfo;
  /** Proto names of every step: `payload.input_value`. */
  readonly protoPath: readonly string[];
}

/**
 * Resolves a dotted field path (`payload.input_value`, proto or JSON names)
 * through singular message fields; undefined when a step names no field or
 * passes through a repeated, map or scalar field. A oneof member is an
 * ordinary step: the path sets it, which selects it.
 */
export function resolveFieldPath(type: protobuf.Type, path: string): ResolvedFieldPath | undefined {
  let parent = type;
  const protoPath: string[] = [];
  const names = path.split(".");
  for (let index = 0; index < names.length; index++) {
    const field = messageInfo(parent).byName.get(names[index] ?? "");
    if (field === undefined) return undefined;
    protoPath.push(field.protoName);
    if (index === names.length - 1) return { parent, field, protoPath };
    if (field.messageType === undefined || field.repeated || field.map) return undefined;
    parent = field.messageType;
  }
  return undefined;
}
