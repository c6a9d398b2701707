import type protobuf from "protobufjs";
import { messageInfo, type FieldInfo, type ScalarType } from "../../src/protojson/message-info.js";
import type { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { seededRandom } from "../../src/filters/message-generator.js";

export type Random = () => number;

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
export { seededRandom };

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const integer = (random: Random, low: number, high: number) => low + Math.floor(random() * (high - low + 1));

function randomBigInt(random: Random, signed: boolean): bigint {
  const edges = signed ? [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 9_007_199_254_740_993n] : [0n, 1n, 2n ** 64n - 1n, 2n ** 63n, 9_007_199_254_740_993n];
  if (random() < 0.3) return pick(random, edges);
  const magnitude = BigInt(Math.floor(random() * 2 ** 31)) * BigInt(Math.floor(random() * 2 ** 31));
  return signed && random() < 0.5 ? -magnitude : magnitude;
}

const strings = ["", "a", "hello world", "café ☕", "line\nbreak", 'quote"s', "🦀 rust", "__proto__"];

function randomScalar(scalar: ScalarType, random: Random): unknown {
  switch (scalar) {
    case "int32":
    case "sint32":
    case "sfixed32":
      return integer(random, -(2 ** 31), 2 ** 31 - 1);
    case "uint32":
    case "fixed32":
      return integer(random, 0, 2 ** 32 - 1);
    case "int64":
    case "sint64":
    case "sfixed64":
      return randomBigInt(random, true).toString();
    case "uint64":
    case "fixed64":
      return randomBigInt(random, false).toString();
    // Multiples of 1/4 print the same in every implementation; NaN and infinities as their strings.
    case "float":
    case "double":
      return random() < 0.1 ? pick(random, ["NaN", "Infinity", "-Infinity"]) : integer(random, -4000, 4000) / 4;
    case "bool":
      return random() < 0.5;
    case "string":
      return pick(random, strings);
    case "bytes":
      return Buffer.from(Array.from({ length: integer(random, 0, 12) }, () => integer(random, 0, 255))).toString("base64");
  }
}

function randomTimestamp(random: Random): string {
  const millis = integer(random, -30_000_000_000, 200_000_000_000) * 1000;
  const iso = new Date(Math.max(Math.min(millis, 253_402_300_799_000), -62_135_596_800_000)).toISOString().slice(0, 19);
  const fraction = pick(random, ["", ".123", ".120", ".123456", ".000000001", ".5"]);
  return `${iso}${fraction}Z`;
}

function randomValue(random: Random, depth: number): unknown {
  const kind = integer(random, 0, depth > 1 ? 3 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return integer(random, -1000, 1000) / 2;
    case 2:
      return pick(random, strings);
    case 3:
      return random() < 0.5;
    case 4:
      return Array.from({ length: integer(random, 0, 3) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: integer(random, 0, 3) }, (_, index) => [`k${index}`, randomValue(random, depth + 1)]));
  }
}

function randomWellKnown(type: protobuf.Type, random: Random, registry: ProtoRegistry, depth: number): { value: unknown } | undefined {
  const name = type.fullName.slice(1);
  switch (name) {
    case "google.protobuf.Timestamp":
      return { value: randomTimestamp(random) };
    case "google.protobuf.Duration":
      return { value: `${random() < 0.3 ? "-" : ""}${integer(random, 0, 100_000)}${pick(random, ["", ".5", ".000001", ".123456789"])}s` };
    case "google.protobuf.FieldMask":
      return { value: pick(random, ["", "fInt32", "nested.name,fString", "rNested.children"]) };
    case "google.protobuf.Empty":
      return { value: {} };
    case "google.protobuf.Struct":
      return { value: Object.fromEntries(Array.from({ length: integer(random, 0, 3) }, (_, index) => [`f${index}`, randomValue(random, 1)])) };
    case "google.protobuf.ListValue":
      return { value: Array.from({ length: integer(random, 0, 3) }, () => randomValue(random, 1)) };
    case "google.protobuf.Value":
      return { value: randomValue(random, 0) };
    case "google.protobuf.Any": {
      if (random() < 0.5) return { value: { "@type": "type.googleapis.com/google.protobuf.Timestamp", value: randomTimestamp(random) } };
      const nested = registry.findType("rosetta.test.v1.Nested")!;
      return { value: { "@type": "type.googleapis.com/rosetta.test.v1.Nested", ...(randomMessageJson(nested, random, registry, depth + 1) as object) } };
    }
    default:
      if (name.startsWith("google.protobuf.") && name.endsWith("Value")) {
        return { value: randomScalar(messageInfo(type).byId.get(1)!.scalar!, random) };
      }
      return undefined;
  }
}

function randomSingle(field: FieldInfo, random: Random, registry: ProtoRegistry, depth: number): unknown {
  if (field.kind === "enum") return random() < 0.8 ? pick(random, Object.keys(field.enumType!.values)) : pick(random, Object.values(field.enumType!.values));
  if (field.kind === "message") return randomMessageJson(field.messageType!, random, registry, depth + 1);
  return randomScalar(field.scalar!, random);
}

function randomKey(scalar: ScalarType, random: Random): string {
  if (scalar === "bool") return String(random() < 0.5);
  if (scalar === "string") return pick(random, ["a", "b", "key with space", "ü"]);
  return String(randomScalar(scalar, random));
}

/** A random, valid proto3 JSON value of `type`, using json names and, at times, proto names. */
export function randomMessageJson(type: protobuf.Type, random: Random, registry: ProtoRegistry, depth = 0): unknown {
  const special = randomWellKnown(type, random, registry, depth);
  if (special !== undefined) return special.value;
  const json: Record<string, unknown> = {};
  const oneofsTaken = new Set<string>();
  for (const field of messageInfo(type).fields) {
    if (random() < 0.45) continue;
    if (field.kind === "message" && depth >= 2) continue;
    if (field.oneof !== undefined) {
      if (oneofsTaken.has(field.oneof)) continue;
      oneofsTaken.add(field.oneof);
    }
    const key = random() < 0.8 ? field.jsonName : field.protoName;
    if (field.map) {
      json[key] = Object.fromEntries(Array.from({ length: integer(random, 0, 3) }, () => [randomKey(field.mapKey!, random), randomSingle(field, random, registry, depth)]));
    } else if (field.repeated) {
      json[key] = Array.from({ length: integer(random, 0, 3) }, () => randomSingle(field, random, registry, depth));
    } else {
      json[key] = randomSingle(field, random, registry, depth);
    }
  }
  return json;
}
