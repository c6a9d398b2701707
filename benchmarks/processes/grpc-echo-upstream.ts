import { Server, ServerCredentials } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/schema/proto-registry.js";

/** The XML benchmark's gRPC upstream: the test Library's UpdateBook, answering the book it was sent. */
const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/library.proto"]);
const server = new Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
server.addService(serviceDefinition(registry.findService("rosetta.test.v1.Library")!), {
  UpdateBook: (call: { request: { book: object } }, callback: (error: null, value: object) => void) => callback(null, call.request.book),
});
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
