/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

export interface ShowcaseServer {
  readonly target: string;
  /** Method names in the order they were called. */
  readonly calls: string[];
  close(): Promise<void>;
}

/** A full item, in protobufjs's object form (proto names, 64-bit integers as strings). */
export function showcaseItem(name: string): Record<string, unknown> {
  return {
    name,
    title: "Desk lamp",
    kind: "KIND_PHYSICAL",
    price: "1299",
    tags: ["light"],
    labels: { room: "study" },
    create_time: { seconds: "1700000000", nanos: 5_000_000 },
    stock: { value: 3 },
    size: { width: 0.5, height: 1.25 },
    shipping: { street: "1 Main St", city: "Oslo" },
  };
}

/** A real @grpc/grpc-js server of rosetta.test.v1.Showcase (test/protos/rosetta/test/v1/showcase.proto) on 127.0.0.1:0. */
export async function startShowcaseServer(): Promise<ShowcaseServer> {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/showcase.proto"]);
  const service = registry.findService("rosetta.test.v1.Showcase");
  if (service === undefined) throw new Error("no Showcase service");
  const calls: string[] = [];
  const unary = (name: string, answer: (request: any) => unknown) => (call: any, callback: any) => {
    calls.push(name);
    callback(null, answer(call.request));
  };
  const implementation: UntypedServiceImplementation = {
    GetItem: unary("GetItem", (request) => showcaseItem(request.name)),
    ListItems: unary("ListItems", (request) => ({ items: [showcaseItem(`${request.parent}/items/1`)], next_page_token: "next" })),
    CreateItem: unary("CreateItem", (request) => ({ ...request.item, name: `${request.parent}/items/${request.item_id ?? "new"}`, create_time: { seconds: "1700000000" } })),
    UpdateItem: unary("UpdateItem", (request) => request.item),
    Everything: unary("Everything", (request) => request),
    DeleteItem: unary("DeleteItem", () => ({})),
    GetPrice: unary("GetPrice", (request) => showcaseItem(request.name)),
    Ping: unary("Ping", (request) => request),
    Download: unary("Download", () => ({ content_type: "text/plain", data: Buffer.from("hello").toString("base64") })),
    WatchItems: (call: any) => {
      calls.push("WatchItems");
      call.write(showcaseItem(`${call.request.parent}/items/1`));
      call.write(showcaseItem(`${call.request.parent}/items/2`));
      call.end();
    },
    UploadItems: (call: any, callback: any) => {
      calls.push("UploadItems");
      let count = 0;
      call.on("data", () => count++);
      call.on("end", () => callback(null, { count }));
    },
  };
  const server = new Server();
  server.addService(serviceDefinition(service), implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return { target: `127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}
