import protobuf from "protobufjs";
// Adds Root.fromDescriptor to protobufjs.
import "protobufjs/ext/descriptor/index.js";
import { ProtoRegistry } from "./proto-registry.js";

/** The field number of the google.api.http extension on MethodOptions. */
const httpRuleExtension = 72_295_728;

interface RootWithDescriptors {
  fromDescriptor(descriptor: Uint8Array): protobuf.Root;
}

/**
 * Builds a registry from serialized FileDescriptorProtos (what server
 * reflection returns). protobufjs's descriptor decoding drops options it does
 * not know, so the google.api.http rule of each method is read from the raw
 * bytes and put back where the .proto loader would have put it.
 */
export async function registryFromFileDescriptors(files: readonly Uint8Array[]): Promise<ProtoRegistry> {
  const writer = protobuf.Writer.create();
  for (const file of files) writer.uint32((1 << 3) | 2).bytes(file); // FileDescriptorSet.file = 1
  const root = (protobuf.Root as unknown as RootWithDescriptors).fromDescriptor(writer.finish());
  const rules = await httpRuleType();
  for (const file of files) {
    for (const [service, method, rule] of httpRules(file, rules)) {
      const found = root.lookup(service);
      if (found instanceof protobuf.Service && found.methods[method] !== undefined) {
        found.methods[method]!.parsedOptions = [{ "(google.api.http)": rule }];
      }
    }
  }
  return ProtoRegistry.fromRoot(root);
}

let cachedRuleType: protobuf.Type | undefined;

async function httpRuleType(): Promise<protobuf.Type> {
  cachedRuleType ??= (await ProtoRegistry.load([], ["google/api/http.proto"])).findType("google.api.HttpRule")!;
  return cachedRuleType;
}

/** [".pkg.Service", "Method", rule as a proto-named object] for each annotated method of one FileDescriptorProto. */
function httpRules(file: Uint8Array, ruleType: protobuf.Type): Array<[string, string, Record<string, unknown>]> {
  const found: Array<[string, string, Record<string, unknown>]> = [];
  let packageName = "";
  const services: Uint8Array[] = [];
  forEachField(file, (id, reader) => {
    if (id === 2)
      packageName = reader.string(); // FileDescriptorProto.package
    else if (id === 6)
      services.push(reader.bytes()); // FileDescriptorProto.service
    else return false;
    return true;
  });
  for (const service of services) {
    let serviceName = "";
    const methods: Uint8Array[] = [];
    forEachField(service, (id, reader) => {
      if (id === 1)
        serviceName = reader.string(); // ServiceDescriptorProto.name
      else if (id === 2)
        methods.push(reader.bytes()); // ServiceDescriptorProto.method
      else return false;
      return true;
    });
    for (const method of methods) {
      let methodName = "";
      let rule: Record<string, unknown> | undefined;
      forEachField(method, (id, reader) => {
        if (id === 1)
          methodName = reader.string(); // MethodDescriptorProto.name
        else if (id === 4) {
          // MethodDescriptorProto.options
          forEachField(reader.bytes(), (optionId, optionReader) => {
            if (optionId !== httpRuleExtension) return false;
            rule = ruleType.toObject(ruleType.decode(optionReader.bytes()), { defaults: false, arrays: true });
            return true;
          });
        } else return false;
        return true;
      });
      if (rule !== undefined) found.push([`.${packageName === "" ? "" : `${packageName}.`}${serviceName}`, methodName, rule]);
    }
  }
  return found;
}

/** A FileDescriptorProto's name (field 1) and imports (field 3), without decoding the rest. */
export function fileDescriptorInfo(file: Uint8Array): { name: string; dependencies: string[] } {
  let name = "";
  const dependencies: string[] = [];
  forEachField(file, (id, reader) => {
    if (id === 1) name = reader.string();
    else if (id === 3) dependencies.push(reader.string());
    else return false;
    return true;
  });
  return { name, dependencies };
}

/** Calls `visit` for each field; a visit that returns false leaves the value to be skipped. */
function forEachField(bytes: Uint8Array, visit: (id: number, reader: protobuf.Reader) => boolean): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (!visit(tag >>> 3, reader)) reader.skipType(tag & 7);
  }
}
