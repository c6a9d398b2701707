/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

export interface EchoServer {
  readonly target: string;
  /** Each request as protobufjs decoded it (64-bit integers as decimal strings), in arrival order. */
  readonly received: Array<Record<string, any>>;
  close(): Promise<void>;
}

/**
 * A real @grpc/grpc-js server for rosetta.test.v1.Exact: Echo answers the
 * Kitchen it received, Collect answers the f_int64 values of the stream in
 * r_int64. protobufjs (not Rosetta) decodes, so the tests see exactly what
 * reached the upstream.
 */
export async function startEchoServer(): Promise<EchoServer> {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/exact.proto"]);
  const received: Array<Record<string, any>> = [];
  const implementation: UntypedServiceImplementation = {
    Echo: (call: any, callback: any) => {
      received.push(call.request);
      callback(null, call.request);
    },
    Collect: (call: any, callback: any) => {
      const values: string[] = [];
      call.on("data", (message: Record<string, any>) => {
        received.push(message);
        values.push(message.f_int64 ?? "0");
      });
      call.on("end", () => callback(null, { r_int64: values }));
    },
  };
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.test.v1.Exact")!), implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return { target: `127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}
