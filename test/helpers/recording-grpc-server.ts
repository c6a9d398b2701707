import { Server, ServerCredentials, type UntypedHandleCall } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

export interface RecordedCall {
  /** `Service/Method` (short service name). */
  readonly method: string;
  /** The request as protobufjs decodes it (proto names, longs and enums as strings), independent of Rosetta. */
  readonly request: Record<string, unknown>;
}

export interface RecordingServer {
  readonly target: string;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

/**
 * A real @grpc/grpc-js server on 127.0.0.1:0 serving every unary method of
 * the named services from .proto files: it records each request and answers
 * with `reply(method, request)` (by default the request itself, for methods
 * whose response type is their request type).
 */
export async function startRecordingServer(
  includes: readonly string[],
  files: readonly string[],
  services: readonly string[],
  reply: (method: string, request: Record<string, unknown>) => Record<string, unknown> = (_method, request) => request,
): Promise<RecordingServer> {
  const registry = await ProtoRegistry.load(includes, files);
  const server = new Server();
  const calls: RecordedCall[] = [];
  for (const name of services) {
    const service = registry.findService(name);
    if (service === undefined) throw new Error(`no service ${name}`);
    const handlers: Record<string, UntypedHandleCall> = {};
    for (const method of service.methodsArray) {
      const path = `${service.name}/${method.name}`;
      handlers[method.name] = (call: { request: Record<string, unknown> }, callback: (error: null, value: Record<string, unknown>) => void) => {
        calls.push({ method: path, request: call.request });
        callback(null, reply(path, call.request));
      };
    }
    server.addService(serviceDefinition(service), handlers);
  }
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    target: `127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
