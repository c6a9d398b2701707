import protobuf from "protobufjs";

/** Wire types of the protobuf encoding. */
export const WireType = { VARINT: 0, FIXED64: 1, LENGTH_DELIMITED: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

export type ScalarType = "double" | "float" | "int32" | "uint32" | "sint32" | "fixed32" | "sfixed32" | "int64" | "uint64" | "sint64" | "fixed64" | "sfixed64" | "bool" | "string" | "bytes";

const scalarWireTypes: Readonly<Record<ScalarType, number>> = {
  double: 1,
  float: 5,
  int32: 0,
  uint32: 0,
  sint32: 0,
  fixed32: 5,
  sfixed32: 5,
  int64: 0,
  uint64: 0,
  sint64: 0,
  fixed64: 1,
  sfixed64: 1,
  bool: 0,
  string: 2,
  bytes: 2,
};

/** What one field is, resolved once: its kind, names, presence and (for maps) key kind. */
export interface FieldInfo {
  readonly field: protobuf.Field;
  readonly id: number;
  readonly protoName: string;
  readonly jsonName: string;
  readonly kind: "scalar" | "enum" | "message";
  /** Scalar type name, or "enum"/"message". */
  readonly scalar: ScalarType | undefined;
  readonly enumType: protobuf.Enum | undefined;
  readonly messageType: protobuf.Type | undefined;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly mapKey: ScalarType | undefined;
  /** Explicit presence: a oneof member, proto3 `optional`, or a message field. */
  readonly tracksPresence: boolean;
  /** A proto3 `optional` scalar: present or not, never written when absent. */
  readonly optional: boolean;
  readonly oneof: string | undefined;
  readonly wireType: number;
  readonly packable: boolean;
  /** `field 14 (f_string)`, for wire errors: built once, not per value read. */
  readonly label: string;
  /** The field's message type is google.protobuf.Value (a JSON null sets it). */
  readonly isValue: boolean;
  /** The field's enum is google.protobuf.NullValue (written and read as null). */
  readonly isNullValue: boolean;
  /** The field's message type is a well-known type with a JSON form of its own. */
  readonly wellKnown: boolean;
}

export interface MessageInfo {
  readonly type: protobuf.Type;
  readonly fullName: string;
  readonly fields: readonly FieldInfo[];
  /** Set for the well-known types (their JSON form is special). */
  readonly wellKnown: boolean;
  /** `the last field of pkg.Msg`, for wire errors. */
  readonly lastFieldLabel: string;
  readonly byId: ReadonlyMap<number, FieldInfo>;
  /** Both the JSON name and the proto name map to the field. */
  readonly byName: ReadonlyMap<string, FieldInfo>;
}

const cache = new WeakMap<protobuf.Type, MessageInfo>();

/** lowerCamelCase as protoc computes json_name: underscores dropped, the next letter upper-cased. */
export function defaultJsonName(protoName: string): string {
  let result = "";
  let upper = false;
  for (const char of protoName) {
    if (char === "_") {
      upper = true;
      continue;
    }
    result += upper ? char.toUpperCase() : char;
    upper = false;
  }
  return result;
}

export function messageInfo(type: protobuf.Type): MessageInfo {
  const cached = cache.get(type);
  if (cached !== undefined) return cached;
  const fields = type.fieldsArray.map((field) => fieldInfo(field.resolve()));
  const byId = new Map(fields.map((info) => [info.id, info]));
  const byName = new Map<string, FieldInfo>();
  for (const info of fields) {
    byName.set(info.jsonName, info);
    byName.set(info.protoName, info);
  }
  // protobufjs's fullName getter rebuilds the string on every read: read once here.
  const fullName = type.fullName.slice(1);
  const info: MessageInfo = { type, fullName, fields, wellKnown: isWellKnownName(fullName), lastFieldLabel: `the last field of ${fullName}`, byId, byName };
  cache.set(type, info);
  return info;
}

function fieldInfo(field: protobuf.Field): FieldInfo {
  const resolved = field.resolvedType;
  const map = field instanceof protobuf.MapField;
  const kind = resolved instanceof protobuf.Enum ? "enum" : resolved instanceof protobuf.Type ? "message" : "scalar";
  const scalar = kind === "scalar" ? (field.type as ScalarType) : undefined;
  const explicitJsonName = field.options?.json_name as string | undefined;
  const oneof = field.partOf?.name;
  const proto3Optional = field.options?.proto3_optional === true || (oneof?.startsWith("_") === true && field.partOf!.oneof.length === 1 && field.partOf!.name === `_${field.name}`);
  const typeName = resolved instanceof protobuf.Type || resolved instanceof protobuf.Enum ? resolved.fullName.slice(1) : "";
  const wireType = kind === "enum" ? WireType.VARINT : kind === "message" ? WireType.LENGTH_DELIMITED : scalarWireTypes[scalar!];
  return {
    field,
    id: field.id,
    protoName: field.name,
    jsonName: explicitJsonName ?? defaultJsonName(field.name),
    kind,
    scalar,
    enumType: resolved instanceof protobuf.Enum ? resolved : undefined,
    messageType: resolved instanceof protobuf.Type ? resolved : undefined,
    repeated: field.repeated && !map,
    map,
    mapKey: map ? ((field as protobuf.MapField).keyType as ScalarType) : undefined,
    tracksPresence: !field.repeated && !map && (kind === "message" || oneof !== undefined || proto3Optional),
    optional: proto3Optional,
    oneof: proto3Optional ? undefined : oneof,
    wireType,
    packable: field.repeated && !map && (kind === "enum" || (scalar !== "string" && scalar !== "bytes" && kind === "scalar")),
    label: `field ${field.id} (${field.name})`,
    isValue: kind === "message" && typeName === "google.protobuf.Value",
    isNullValue: kind === "enum" && typeName === "google.protobuf.NullValue",
    wellKnown: kind === "message" && isWellKnownName(typeName),
  };
}

const wrapperNames = ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((name) => `google.protobuf.${name}Value`);
const wellKnownNames = new Set([...wrapperNames, ...["Timestamp", "Duration", "FieldMask", "Struct", "Value", "ListValue", "Empty", "Any"].map((name) => `google.protobuf.${name}`)]);

/** The well-known types whose JSON form is their own (the wrappers, Timestamp, Struct, Any, …). */
export function isWellKnownName(fullName: string): boolean {
  return wellKnownNames.has(fullName);
}

/** A scalar's wire type; maps use it for their key and value. */
export function scalarWireType(scalar: ScalarType): number {
  return scalarWireTypes[scalar];
}
