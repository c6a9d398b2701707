/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

export interface CheckedServer {
  readonly target: string;
  /** Every request that reached the upstream, as protobufjs decoded it. */
  readonly calls: { method: string; request: Record<string, any> }[];
  close(): Promise<void>;
}

/** A real @grpc/grpc-js server for rosetta.test.v1.Checked (test/protos), recording what reaches it. */
export async function startCheckedServer(): Promise<CheckedServer> {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/checked.proto"]);
  const calls: CheckedServer["calls"] = [];
  const implementation: UntypedServiceImplementation = {
    CreateItem: (call: any, callback: any) => {
      calls.push({ method: "CreateItem", request: call.request });
      callback(null, { ...call.request.item, name: `${call.request.shelf}/${call.request.item?.name ?? ""}` });
    },
    GetItem: (call: any, callback: any) => {
      calls.push({ method: "GetItem", request: call.request });
      callback(null, { name: call.request.name, part: { id: "p" } });
    },
  };
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.test.v1.Checked")!), implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return { target: `127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}
