/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { status, type Server } from "@grpc/grpc-js";
import { serviceDefinition } from "../../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../../src/protos/proto-registry.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";

export type ServingStatus = "SERVING" | "NOT_SERVING";

/** A Library server that also serves a hand-written grpc.health.v1.Health: status by service name, settable by the test. */
export interface HealthyLibrary {
  readonly server: TestGrpcServer;
  readonly target: string;
  readonly statuses: Map<string, ServingStatus>;
  /** Health checks answered. */
  checks: number;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function startHealthyLibrary(): Promise<HealthyLibrary> {
  const registry = await ProtoRegistry.load([], ["grpc/health/v1/health.proto"]);
  const health = serviceDefinition(registry.findService("grpc.health.v1.Health")!);
  const library: HealthyLibrary = {
    server: undefined as unknown as TestGrpcServer,
    target: "",
    statuses: new Map([["", "SERVING"]]),
    checks: 0,
    stop: () => library.server.close(),
    async restart() {
      (library as { server: TestGrpcServer }).server = await startLibraryServer({ port: library.server?.port, configure });
    },
  };
  const configure = (server: Server) =>
    server.addService(health, {
      Check: (call: any, callback: any) => {
        library.checks++;
        const serving = library.statuses.get(call.request.service ?? "");
        if (serving === undefined) callback({ code: status.NOT_FOUND, details: "unknown service" });
        else callback(null, { status: serving });
      },
      Watch: (call: any) => call.destroy({ code: status.UNIMPLEMENTED }),
    });
  await library.restart();
  (library as { target: string }).target = library.server.target;
  return library;
}
