import type { JsonSchema } from "./json-schema.js";

const decimal = { type: "string", format: "int64", pattern: "^-?[0-9]+$" } as const;
const unsignedDecimal = { type: "string", format: "uint64", pattern: "^[0-9]+$" } as const;
const nonFinite = { type: "string", enum: ["NaN", "Infinity", "-Infinity"] } as const;
const base64 = { type: "string", format: "byte", contentEncoding: "base64" } as const;
const int32 = { type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 } as const;
const uint32 = { type: "integer", format: "uint32", minimum: 0, maximum: 4294967295 } as const;
const double = { anyOf: [{ type: "number", format: "double" }, nonFinite] } as const;
const float = { anyOf: [{ type: "number", format: "float" }, nonFinite] } as const;

/**
 * Scalars as Rosetta writes them (src/protojson/scalars.ts): 64-bit integers
 * as decimal strings, 32-bit ones as bounded integers, floats as numbers or
 * the strings NaN/Infinity/-Infinity, bytes in base64.
 */
export const scalarSchemas: Readonly<Record<string, JsonSchema>> = {
  double,
  float,
  int32,
  sint32: int32,
  sfixed32: int32,
  uint32,
  fixed32: uint32,
  int64: decimal,
  sint64: decimal,
  sfixed64: decimal,
  uint64: unsignedDecimal,
  fixed64: unsignedDecimal,
  bool: { type: "boolean" },
  string: { type: "string" },
  bytes: base64,
};

/**
 * The well-known types that have a JSON form of their own (proto3 JSON
 * mapping), as Rosetta writes them. Wrappers are their scalar; the field
 * that holds one is nullable like every message field.
 */
export const wellKnownSchemas: Readonly<Record<string, JsonSchema>> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time", description: "RFC 3339, `Z` on output, 0, 3, 6 or 9 fractional digits", examples: ["2024-01-15T10:30:00Z"] },
  "google.protobuf.Duration": {
    type: "string",
    format: "google-duration",
    pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$",
    description: "seconds with an `s` suffix, up to 9 fractional digits",
    examples: ["1.5s"],
  },
  "google.protobuf.FieldMask": { type: "string", format: "google-fieldmask", description: "comma-separated field paths in lowerCamelCase", examples: ["title,size.width"] },
  "google.protobuf.Struct": { type: "object", additionalProperties: true },
  "google.protobuf.Value": { description: "any JSON value" },
  "google.protobuf.ListValue": { type: "array", items: {} },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Any": {
    type: "object",
    properties: { "@type": { type: "string", description: "type.googleapis.com/ and the message's full name" } },
    additionalProperties: true,
    description: "a message with its type in `@type`; a well-known type's JSON form is in `value`",
  },
  "google.protobuf.DoubleValue": double,
  "google.protobuf.FloatValue": float,
  "google.protobuf.Int64Value": decimal,
  "google.protobuf.UInt64Value": unsignedDecimal,
  "google.protobuf.Int32Value": int32,
  "google.protobuf.UInt32Value": uint32,
  "google.protobuf.BoolValue": { type: "boolean" },
  "google.protobuf.StringValue": { type: "string" },
  "google.protobuf.BytesValue": base64,
};

/** The error body of every failure Rosetta answers (src/core/error-response.ts), whatever the route. */
export const statusSchema: JsonSchema = {
  type: "object",
  description: "google.rpc.Status: the gRPC status code, a message, and typed details",
  properties: {
    code: { type: "integer", format: "int32", description: "the gRPC status code (google.rpc.Code)" },
    message: { type: "string" },
    details: { type: "array", items: wellKnownSchemas["google.protobuf.Any"] },
  },
};
