import { Server, ServerCredentials } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

/**
 * The XML and big-body benchmarks' gRPC upstream: the test Library's
 * UpdateBook answering the book it was sent (argv "small": only its name),
 * and a small GetShelf.
 */
const smallReplies = process.argv[2] === "small";
const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/library.proto"]);
const server = new Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
const shelf = { id: "1", theme: "Poetry" };
server.addService(serviceDefinition(registry.findService("rosetta.test.v1.Library")!), {
  UpdateBook: (call: { request: { book: object } }, callback: (error: null, value: object) => void) =>
    callback(null, smallReplies ? { name: (call.request.book as { name?: string }).name } : call.request.book),
  GetShelf: (_call: unknown, callback: (error: null, value: object) => void) => callback(null, shelf),
});
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
