import { Server, ServerCredentials } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { peersProtoRoot } from "../peer-programs.js";

/** The peers benchmark's grpc-js upstream: Orders.GetOrder of benchmarks/peers/proto, answering what the grpc-go upstream answers. */
const registry = await ProtoRegistry.load([peersProtoRoot], ["rosetta/bench/v1/orders.proto"]);
const service = registry.findService("rosetta.bench.v1.Orders");
if (service === undefined) throw new Error("rosetta.bench.v1.Orders is missing from orders.proto");
const order = { item: "The Left Hand of Darkness", quantity: 2, status: "shipped", customer: { id: "c-42", name: "Genly Ai" }, tags: ["sf", "classic"], total: "17.90" };
const server = new Server();
server.addService(serviceDefinition(service), {
  GetOrder: (call: { request: { id?: string } }, callback: (error: null, value: object) => void) => callback(null, { id: call.request.id ?? "", ...order }),
});
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
