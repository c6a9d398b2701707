import type protobuf from "protobufjs";
import { messageInfo, type FieldInfo } from "../protojson/message-info.js";

export interface GenerateOptions {
  /** Same seed, same message. */
  readonly seed: number;
  /** Message fields nested deeper than this are left out (recursive types end). */
  readonly maxDepth: number;
  /** Proto names as JSON keys instead of lowerCamelCase names. */
  readonly useProtoNames: boolean;
}

/** mulberry32: a tiny seeded generator; plausible values need no more (the tests replay cases with it too). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A plausible message of `type` in ProtoJSON form: strings named after their
 * field, numbers, an enum's first non-zero value, two items per repeated
 * field and map, nested messages down to `maxDepth`, well-known types in their
 * JSON form, one member per oneof. Deterministic for a seed.
 */
export function generateMessage(type: protobuf.Type, options: GenerateOptions): Record<string, unknown> {
  const next = seededRandom(options.seed);
  const integer = () => 1 + Math.floor(next() * 1000);

  const scalar = (info: FieldInfo, index: number): unknown => {
    switch (info.scalar) {
      case "string":
        return text(info.protoName, integer());
      case "bytes":
        return Buffer.from(`${info.protoName}-${index + 1}`).toString("base64");
      case "bool":
        return true;
      case "double":
      case "float":
        return Math.round(next() * 100_000) / 100;
      case "int64":
      case "uint64":
      case "sint64":
      case "fixed64":
      case "sfixed64":
        return String(integer());
      default:
        return integer();
    }
  };

  const single = (info: FieldInfo, depth: number, index: number): unknown => {
    if (info.kind === "enum") {
      const values = Object.entries(info.enumType!.values);
      return (values.find(([, number]) => number !== 0) ?? values[0])?.[0];
    }
    if (info.kind === "message") return message(info.messageType!, depth + 1);
    return scalar(info, index);
  };

  const message = (messageType: protobuf.Type, depth: number): unknown => {
    const known = wellKnown(messageType.fullName.slice(1), next);
    if (known !== undefined) return known.value;
    const result: Record<string, unknown> = {};
    const oneofsSet = new Set<string>();
    for (const info of messageInfo(messageType).fields) {
      // An Any names a concrete type; there is none to choose, so it stays unset.
      if (info.messageType?.fullName === ".google.protobuf.Any") continue;
      if (info.kind === "message" && depth >= options.maxDepth && wellKnown(info.messageType!.fullName.slice(1), next) === undefined) continue;
      if (info.oneof !== undefined) {
        if (oneofsSet.has(info.oneof)) continue;
        oneofsSet.add(info.oneof);
      }
      const key = options.useProtoNames ? info.protoName : info.jsonName;
      if (info.map) {
        const valueInfo = { ...info, repeated: false, map: false } as FieldInfo;
        result[key] = Object.fromEntries([0, 1].map((index) => [mapKey(info, index), single(valueInfo, depth, index)]));
      } else if (info.repeated) {
        result[key] = [0, 1].map((index) => single(info, depth, index));
      } else {
        result[key] = single(info, depth, 0);
      }
    }
    return result;
  };

  return message(type, 0) as Record<string, unknown>;
}

/** A string that reads like its field: an address for `email`, a URL for `url`, else `title-123`. */
function text(name: string, number: number): string {
  if (/e_?mail/i.test(name)) return `user${number}@example.com`;
  if (/ur[il]$/i.test(name)) return `https://example.com/${number}`;
  return `${name}-${number}`;
}

function mapKey(info: FieldInfo, index: number): string {
  if (info.mapKey === "bool") return index === 0 ? "true" : "false";
  if (info.mapKey === "string") return `key${index + 1}`;
  return String(index + 1);
}

/** Well-known types in their ProtoJSON form (a wrapper is its value). */
function wellKnown(fullName: string, next: () => number): { value: unknown } | undefined {
  switch (fullName) {
    case "google.protobuf.Timestamp":
      return { value: new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 365) * 86_400_000).toISOString().replace(".000Z", "Z") };
    case "google.protobuf.Duration":
      return { value: `${1 + Math.floor(next() * 60)}s` };
    case "google.protobuf.FieldMask":
      return { value: "name" };
    case "google.protobuf.Struct":
      return { value: { key: "value" } };
    case "google.protobuf.Value":
      return { value: "value" };
    case "google.protobuf.ListValue":
      return { value: ["value"] };
    case "google.protobuf.Empty":
      return { value: {} };
    case "google.protobuf.StringValue":
      return { value: "value" };
    case "google.protobuf.BytesValue":
      return { value: Buffer.from("value").toString("base64") };
    case "google.protobuf.BoolValue":
      return { value: true };
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
      return { value: 1.5 };
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
      return { value: "1" };
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
      return { value: 1 };
    default:
      return undefined;
  }
}
