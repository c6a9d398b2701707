import { Client, status as grpcStatus, type ClientDuplexStream } from "@grpc/grpc-js";
import { ConfigError, ConfigErrorCode } from "../../options/error-codes.js";
import { fileDescriptorInfo, registryFromFileDescriptors } from "../../protos/descriptor-set.js";
import { ProtoRegistry } from "../../protos/proto-registry.js";
import type { EndpointContext } from "../endpoint.js";
import type { ClientTls } from "../../tls/client-tls.js";
import { grpcCredentials } from "./grpc-credentials.js";
import type { GrpcServiceOptions } from "./grpc-options.js";

interface ReflectionResponse {
  list_services_response?: { service?: Array<{ name?: string }> };
  file_descriptor_response?: { file_descriptor_proto?: Uint8Array[] };
  error_response?: { error_code?: number; error_message?: string };
}

const reflectionTimeout = 10_000;

/**
 * Loads a service's schemas by gRPC server reflection (grpc.reflection.v1,
 * falling back to v1alpha): lists the services, fetches the files that
 * define them and every file they import, and builds a registry from the
 * descriptors — google.api.http annotations included.
 */
export async function loadByReflection(options: GrpcServiceOptions, context: EndpointContext, tls: ClientTls | undefined): Promise<ProtoRegistry> {
  const target = options.targets[0]!.target;
  try {
    return await reflectTarget(target, tls);
  } catch (error) {
    throw new ConfigError([{ code: ConfigErrorCode.REFERENCE, path: `${context.configPath}.reflection`, message: (error as Error).message }]);
  }
}

/** Server reflection against one `host:port` (a service's first target, or what `rosetta bench` measures); the error names the target. */
export async function reflectTarget(target: string, tls: ClientTls | undefined): Promise<ProtoRegistry> {
  const types = await ProtoRegistry.load([], ["grpc/reflection/v1/reflection.proto"]);
  const secure = grpcCredentials(tls);
  const client = new Client(target, secure.credentials, secure.channelOptions);
  try {
    let files: Map<string, Uint8Array>;
    try {
      files = await fetchFiles(client, types, "grpc.reflection.v1");
    } catch (error) {
      if ((error as { code?: number }).code !== grpcStatus.UNIMPLEMENTED) throw error;
      files = await fetchFiles(client, types, "grpc.reflection.v1alpha");
    }
    return await registryFromFileDescriptors([...files.values()]);
  } catch (error) {
    throw new Error(`server reflection on ${target} failed: ${(error as { details?: string; message?: string }).details ?? (error as Error).message}`);
  } finally {
    client.close();
  }
}

/** One reflection stream: list the services, then ask for the files until every import is known. */
async function fetchFiles(client: Client, types: ProtoRegistry, version: string): Promise<Map<string, Uint8Array>> {
  const requestType = types.findType("grpc.reflection.v1.ServerReflectionRequest")!;
  const responseType = types.findType("grpc.reflection.v1.ServerReflectionResponse")!;
  const call: ClientDuplexStream<Buffer, Buffer> = client.makeBidiStreamRequest(
    `/${version}.ServerReflection/ServerReflectionInfo`,
    (bytes: Buffer) => bytes,
    (bytes: Buffer) => bytes,
    undefined as never,
    { deadline: Date.now() + reflectionTimeout },
  );
  const responses = call[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const ask = async (request: Record<string, unknown>): Promise<ReflectionResponse> => {
    call.write(Buffer.from(requestType.encode(requestType.fromObject(request)).finish()));
    const next = await responses.next();
    if (next.done === true) throw new Error("the reflection stream ended early");
    const response = responseType.toObject(responseType.decode(next.value), { defaults: false, arrays: true }) as ReflectionResponse;
    if (response.error_response !== undefined) throw new Error(response.error_response.error_message ?? `reflection error ${response.error_response.error_code}`);
    return response;
  };
  try {
    const listed = await ask({ list_services: "" });
    const services = (listed.list_services_response?.service ?? []).map((service) => service.name ?? "").filter((name) => name !== "" && !name.startsWith("grpc.reflection."));
    if (services.length === 0) throw new Error("the server lists no services");
    const files = new Map<string, Uint8Array>();
    const add = (response: ReflectionResponse) => {
      for (const bytes of response.file_descriptor_response?.file_descriptor_proto ?? []) {
        const { name } = fileDescriptorInfo(bytes);
        if (!files.has(name)) files.set(name, bytes);
      }
    };
    for (const service of services) add(await ask({ file_containing_symbol: service }));
    // Servers usually send the imports along; ask for any that are still missing.
    for (let missing = missingImports(files); missing.length > 0; missing = missingImports(files)) {
      for (const name of missing) add(await ask({ file_by_filename: name }));
      if (missing.every((name) => !files.has(name))) throw new Error(`the server does not know ${missing.join(", ")}`);
    }
    return files;
  } finally {
    call.end();
  }
}

function missingImports(files: Map<string, Uint8Array>): string[] {
  const missing = new Set<string>();
  for (const bytes of files.values()) for (const dependency of fileDescriptorInfo(bytes).dependencies) if (!files.has(dependency)) missing.add(dependency);
  return [...missing];
}
