import type protobuf from "protobufjs";
import { encodeRaw } from "./binary.js";
import { messageInfo, type FieldInfo } from "./message-info.js";
import { createRawMessage } from "./raw-message.js";

/** A PATCH route whose request's FieldMask is filled from the body's keys when the caller sends none. */
export interface PatchFieldMask {
  /** The request's google.protobuf.FieldMask field. */
  readonly maskField: FieldInfo;
  /** The message type of the body field. */
  readonly bodyType: protobuf.Type;
}

/**
 * The field paths a JSON body sets, in proto names, sorted: what a PATCH
 * means to update (grpc-gateway's FieldMaskFromRequestBody). Objects of
 * message fields are walked into (`book.author.name`); a list, a map, an
 * `Any`, an empty object or a scalar ends a path; inside a Struct or Value
 * the JSON keys themselves are the path. Keys naming no field are left out
 * (the body itself is checked by the JSON mapping).
 */
export function fieldMaskPaths(type: protobuf.Type, body: unknown): string[] {
  const paths: string[] = [];
  walkMessage(type, body, "", paths, 0);
  return paths.sort();
}

const maxDepth = 100;

function walkMessage(type: protobuf.Type, node: unknown, prefix: string, paths: string[], depth: number): void {
  if (!isObject(node) || depth > maxDepth) return;
  const info = messageInfo(type);
  for (const [key, value] of Object.entries(node)) {
    const field = info.byName.get(key);
    if (field === undefined) continue;
    const path = prefix === "" ? field.protoName : `${prefix}.${field.protoName}`;
    const name = field.messageType?.fullName;
    if (field.repeated || field.map || name === ".google.protobuf.Any" || field.messageType === undefined || !isObject(value) || Object.keys(value).length === 0) {
      paths.push(path);
    } else if (name === ".google.protobuf.Struct" || name === ".google.protobuf.Value") {
      walkBlindly(value, path, paths, depth + 1);
    } else {
      walkMessage(field.messageType, value, path, paths, depth + 1);
    }
  }
}

/** Inside a Struct the JSON object's keys are the path. */
function walkBlindly(node: unknown, prefix: string, paths: string[], depth: number): void {
  if (!isObject(node) || Object.keys(node).length === 0 || depth > maxDepth) {
    paths.push(prefix);
    return;
  }
  for (const [key, value] of Object.entries(node)) walkBlindly(value, `${prefix}.${key}`, paths, depth + 1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The mask field's bytes, to append to an encoded request that has no mask:
 * appending a field the message lacks sets it. The paths go in as they are
 * (proto names), not through the JSON form's camelCase, which cannot spell
 * every proto name.
 */
export function encodeFieldMask(requestType: protobuf.Type, maskField: FieldInfo, paths: readonly string[]): Uint8Array {
  const raw = createRawMessage();
  const mask = createRawMessage();
  mask.paths = [...paths];
  raw[maskField.protoName] = mask;
  return encodeRaw(requestType, raw);
}
