import type protobuf from "protobufjs";
import type { BenchTargetSpec } from "../bench-target.js";
import { compileBodyTemplate } from "../body-template.js";
import { reflectTarget } from "../../endpoints/grpc/reflection-client.js";
import type { ClientTls } from "../../tls/client-tls.js";
import { ProtoRegistry } from "../../protos/proto-registry.js";
import { defaultProtoJsonOptions } from "../../protojson/protojson-options.js";
import { ProtoJsonMapping } from "../../protojson/protojson-mapping.js";

/** The request of one call as it goes on the wire: a length-prefixed protobuf message. */
export type GrpcRequest = (sequence: number) => Buffer;

/** Distinct templated bodies kept encoded ({{randInt 1 100}} encodes 100 times, not once per request). */
const maxCachedBodies = 4096;

/** The method a `grpc://host:port/pkg.Svc/Method` URL names, with its types from --proto files or server reflection. */
export async function loadMethod(spec: BenchTargetSpec, service: string, target: string, tls: ClientTls | undefined): Promise<{ method: protobuf.Method; registry: ProtoRegistry }> {
  const registry = spec.protoFiles.length > 0 ? await ProtoRegistry.load(spec.importPaths, spec.protoFiles) : await reflectTarget(target, tls);
  const method = registry.findMethod(service);
  if (method === undefined) {
    const slash = service.lastIndexOf("/");
    const known = registry.findService(service.slice(0, slash));
    const hint =
      known === undefined
        ? `no service ${service.slice(0, slash)} in ${spec.protoFiles.length > 0 ? spec.protoFiles.join(", ") : "the server's reflection"}`
        : `${known.fullName.slice(1)} has ${Object.keys(known.methods).join(", ")}`;
    throw new Error(`no method ${service}: ${hint}`);
  }
  if (method.requestStream === true) throw new Error(`${service} takes a client stream; rosetta bench sends unary requests (server streams are read to their end)`);
  return { method, registry };
}

/**
 * The JSON body (a template) as gRPC request bytes. A fixed body is encoded
 * once; a templated one is encoded once per distinct rendering, up to
 * maxCachedBodies, so only bodies that really vary cost an encoding.
 */
export function compileGrpcRequest(body: string, method: protobuf.Method, registry: ProtoRegistry): GrpcRequest {
  const type = method.resolvedRequestType;
  if (type === null) throw new Error(`the request type of ${method.name} is not resolved`);
  const mapping = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  const encode = (text: string): Buffer => {
    let value: unknown;
    try {
      value = JSON.parse(text === "" ? "{}" : text);
    } catch (error) {
      throw new Error(`the body must be the JSON of ${type.fullName.slice(1)}: ${(error as Error).message}`);
    }
    let message: Uint8Array;
    try {
      message = mapping.encode(type, value);
    } catch (error) {
      throw new Error(`the body is not a ${type.fullName.slice(1)}: ${(error as Error).message}`);
    }
    const framed = Buffer.allocUnsafe(5 + message.byteLength);
    framed[0] = 0;
    framed.writeUInt32BE(message.byteLength, 1);
    framed.set(message, 5);
    return framed;
  };
  const template = compileBodyTemplate(body);
  const first = encode(template(0));
  if (template(1) === template(0) && template(0) === body) return () => first;
  const cache = new Map<string, Buffer>();
  return (sequence) => {
    const text = template(sequence);
    let bytes = cache.get(text);
    if (bytes === undefined) {
      bytes = encode(text);
      if (cache.size < maxCachedBodies) cache.set(text, bytes);
    }
    return bytes;
  };
}
