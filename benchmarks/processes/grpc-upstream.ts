import { Server, ServerCredentials } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

/** The benchmark's gRPC upstream: the demo Bookstore's GetShelf on a plain @grpc/grpc-js server. */
const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
const shelf = { id: "1", theme: "Science fiction and fantasy", created: { seconds: "1700000000", nanos: 0 } };
const server = new Server();
server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
  GetShelf: (_call: unknown, callback: (error: null, value: object) => void) => callback(null, shelf),
});
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
