import type protobuf from "protobufjs";
import { messageInfo, type FieldInfo } from "../../protojson/message-info.js";

/**
 * How a well-known type looks in XML: its proto3 JSON form as element text
 * (Timestamp → xs:dateTime text, a wrapper → its bare value), JSON text for the
 * dynamic Struct/Value/ListValue (they have no schema to type XML by), an
 * empty element for Empty, and `<x type="…">` plus the packed message's own
 * fields for Any.
 */
export type XmlWellKnown = { readonly kind: "text" } | { readonly kind: "wrapper"; readonly inner: FieldInfo } | { readonly kind: "json" } | { readonly kind: "empty" } | { readonly kind: "any" };

const text = { kind: "text" } as const;
const json = { kind: "json" } as const;
const byName: Readonly<Record<string, XmlWellKnown>> = {
  "google.protobuf.Timestamp": text,
  "google.protobuf.Duration": text,
  "google.protobuf.FieldMask": text,
  "google.protobuf.Struct": json,
  "google.protobuf.Value": json,
  "google.protobuf.ListValue": json,
  "google.protobuf.Empty": { kind: "empty" },
  "google.protobuf.Any": { kind: "any" },
};
const wrappers = new Set(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue"]);
const cache = new WeakMap<protobuf.Type, XmlWellKnown | null>();

export function xmlWellKnown(type: protobuf.Type): XmlWellKnown | undefined {
  let found = cache.get(type);
  if (found === undefined) {
    const name = type.fullName.slice(1);
    const wrapper = name.startsWith("google.protobuf.") && wrappers.has(type.name);
    found = wrapper ? { kind: "wrapper", inner: messageInfo(type).byId.get(1)! } : (byName[name] ?? null);
    cache.set(type, found);
  }
  return found ?? undefined;
}

/** `type.googleapis.com/pkg.Msg` → `pkg.Msg`. */
export function typeNameOfAnyUrl(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}
