import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { createFileRegistry, fromBinary, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { defaultJsonName } from "../../src/protojson/message-info.js";

interface DescriptorMessage {
  name: string;
  field?: Array<{ name: string; number: number; typeName?: string; jsonName?: string }>;
  nestedType?: DescriptorMessage[];
}

/**
 * The same schemas as a protobufjs Root, as an @bufbuild/protobuf registry,
 * for differential tests (bufbuild passes the official conformance suite).
 * protobufjs writes relative type names and one file per package; bufbuild
 * wants fully-qualified names and dependencies first, so both are fixed up.
 */
export function bufbuildRegistry(root: protobuf.Root): FileRegistry {
  const set = (root as unknown as { toDescriptor(syntax: string): { file: Array<{ package?: string; messageType?: DescriptorMessage[]; name: string }> } }).toDescriptor("proto3");
  for (const file of set.file) {
    for (const message of file.messageType ?? []) qualify(root, `.${file.package ? `${file.package}.` : ""}${message.name}`, message);
  }
  set.file.sort((a, b) => rank(a.name) - rank(b.name));
  const bytes = (descriptor as unknown as { FileDescriptorSet: { encode(value: unknown): protobuf.Writer } }).FileDescriptorSet.encode(set).finish();
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
}

function rank(fileName: string): number {
  return fileName.startsWith("google_protobuf") ? 0 : fileName.startsWith("google") ? 1 : 2;
}

function qualify(root: protobuf.Root, fullName: string, message: DescriptorMessage): void {
  const type = root.lookup(fullName);
  // Map entry types exist only in the descriptor: their value type is qualified from the map field itself.
  if (!(type instanceof protobuf.Type)) return;
  for (const field of message.field ?? []) {
    // protoc always writes json_name; protobufjs (keepCase) does not.
    field.jsonName = (type.fieldsById[field.number]?.options?.json_name as string | undefined) ?? defaultJsonName(field.name);
    if (field.typeName === undefined || field.typeName === "" || field.typeName.startsWith(".")) continue;
    const reflected = type.fieldsById[field.number]?.resolve();
    // A map field refers to its entry type, nested in this message; others to their resolved type.
    if (reflected instanceof protobuf.MapField || !reflected?.resolvedType) field.typeName = `${fullName}.${field.typeName}`;
    else field.typeName = reflected.resolvedType.fullName;
  }
  for (const nested of message.nestedType ?? []) {
    const entryName = `${fullName}.${nested.name}`;
    if (root.lookup(entryName) instanceof protobuf.Type) {
      qualify(root, entryName, nested);
      continue;
    }
    const mapField = message.field?.find((field) => field.typeName === entryName);
    const valueType = mapField === undefined ? undefined : type.fieldsById[mapField.number]?.resolve().resolvedType;
    for (const field of nested.field ?? []) {
      if (field.number === 2 && field.typeName !== undefined && field.typeName !== "" && valueType) field.typeName = valueType.fullName;
    }
  }
}
