import { test } from "uvu";
import * as assert from "uvu/assert";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import protobuf from "protobufjs";
import { request } from "undici";
import { serviceDefinition } from "../../../src/demo/grpc-service-definition.js";
import { registryFromFileDescriptors } from "../../../src/protos/descriptor-set.js";
import { bundledProtos, ProtoRegistry } from "../../../src/protos/proto-registry.js";
import { httpBindings } from "../../../src/endpoints/grpc/http-rules.js";
import { startGateway } from "../../helpers/gateway.js";

test("reflection: a grpc-js server with @grpc/reflection is transcoded with no protos on the gateway side", async () => {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
    GetShelf: (call: { request: { shelf?: string } }, callback: (error: null, value: object) => void) => callback(null, { id: call.request.shelf, theme: "reflected" }),
  });
  const definition = loadSync("rosetta/demo/v1/bookstore.proto", { includeDirs: [bundledProtos] });
  new ReflectionService(definition).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  const gateway = await startGateway({
    services: { shelves: { protocol: "grpc", targets: [`127.0.0.1:${port}`], reflection: true } },
    routes: [{ id: "shelf", match: { path: "/reflected/{shelf}", methods: ["GET"] }, upstream: { service: "shelves", method: "rosetta.demo.v1.Bookstore/GetShelf" } }],
  });
  try {
    const explicit = await request(`${gateway.url}/reflected/12`);
    assert.equal(await explicit.body.json(), { id: "12", theme: "reflected", created: null });
  } finally {
    await gateway.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
});

test("reflection: a server without reflection is a start-up error naming the service", async () => {
  const server = new Server();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  try {
    await startGateway({ services: { blind: { protocol: "grpc", targets: [`127.0.0.1:${port}`], reflection: true } } });
    assert.unreachable("started");
  } catch (error) {
    assert.match(String(error), /services\.blind\.reflection: server reflection on 127\.0\.0\.1:\d+ failed/);
  } finally {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
});

test("descriptors: google.api.http options survive the trip through FileDescriptorProto bytes", async () => {
  // A file descriptor as protoc writes it: MethodOptions carrying extension 72295728 (google.api.http).
  const rules = (await ProtoRegistry.load([], ["google/api/http.proto"])).findType("google.api.HttpRule")!;
  const rule = rules.encode(rules.fromObject({ get: "/v1/things/{id}", additional_bindings: [{ post: "/v1/things", body: "*" }] })).finish();
  const options = protobuf.Writer.create()
    .uint32((72_295_728 << 3) | 2)
    .bytes(rule)
    .finish();
  const field = (id: number, wire: number) => (id << 3) | wire;
  const message = protobuf.Writer.create()
    .uint32(field(1, 2))
    .string("Thing")
    .uint32(field(2, 2))
    .fork()
    .uint32(field(1, 2))
    .string("id")
    .uint32(field(3, 0))
    .int32(1)
    .uint32(field(4, 0))
    .int32(1)
    .uint32(field(5, 0))
    .int32(9)
    .ldelim()
    .finish();
  const method = protobuf.Writer.create()
    .uint32(field(1, 2))
    .string("GetThing")
    .uint32(field(2, 2))
    .string(".demo.Thing")
    .uint32(field(3, 2))
    .string(".demo.Thing")
    .uint32(field(4, 2))
    .bytes(options)
    .finish();
  const service = protobuf.Writer.create().uint32(field(1, 2)).string("Things").uint32(field(2, 2)).bytes(method).finish();
  const file = protobuf.Writer.create()
    .uint32(field(1, 2))
    .string("demo/things.proto")
    .uint32(field(2, 2))
    .string("demo")
    .uint32(field(4, 2))
    .bytes(message)
    .uint32(field(6, 2))
    .bytes(service)
    .uint32(field(12, 2))
    .string("proto3")
    .finish();
  const registry = await registryFromFileDescriptors([file]);
  const bindings = httpBindings(registry.findMethod("demo.Things/GetThing")!);
  assert.equal(bindings, [
    { httpMethod: "GET", path: "/v1/things/{id}", body: undefined, responseBody: undefined },
    { httpMethod: "POST", path: "/v1/things", body: "*", responseBody: undefined },
  ]);
});

test.run();
