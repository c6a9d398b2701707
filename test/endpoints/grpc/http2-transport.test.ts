import { test } from "uvu";
import * as assert from "uvu/assert";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { request } from "undici";
import { serviceDefinition } from "../../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../../src/protos/proto-registry.js";
import { startGateway } from "../../helpers/gateway.js";
import { waitFor } from "../../helpers/wait.js";

/** A bare grpc-js Bookstore serving GetShelf, restartable on a fixed port. */
async function startShelfServer(port: number, theme: string): Promise<{ port: number; server: Server }> {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
    GetShelf: (call: { request: { shelf?: string } }, callback: (error: null, value: object) => void) => callback(null, { id: call.request.shelf, theme }),
  });
  const bound = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, actual) => (error ? reject(error) : resolve(actual))));
  return { port: bound, server };
}

const shutdown = (server: Server) => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));

for (const transport of ["http2", "node-http2", "grpc-js"] as const) {
  test(`${transport} transport: the upstream restarts (GOAWAY, then a new server on the same port) and calls go on`, async () => {
    const first = await startShelfServer(0, "before");
    const gateway = await startGateway({
      services: {
        shelves: {
          protocol: "grpc",
          targets: [`127.0.0.1:${first.port}`],
          protos: ["rosetta/demo/v1/bookstore.proto"],
          unaryTransport: transport,
          timeout: "2s",
          keepaliveTime: "100ms",
          keepaliveTimeout: "1s",
        },
      },
    });
    try {
      const get = async () => {
        const response = await request(`${gateway.url}/v1/shelves/7`);
        return { status: response.statusCode, body: await response.body.text() };
      };
      assert.equal(JSON.parse((await get()).body), { id: "7", theme: "before", created: null });
      // Several keepalive intervals pass on an idle connection: pings must not break it.
      await new Promise((resolve) => setTimeout(resolve, 350));
      assert.is((await get()).status, 200);
      await shutdown(first.server);
      const down = await get();
      assert.is(down.status, 503, down.body);
      const second = await startShelfServer(first.port, "after");
      try {
        let answer = await get();
        await waitFor(async () => answer.status === 200 || (answer = await get()).status === 200, "calls to reach the restarted upstream", 4000);
        assert.is(answer.status, 200, answer.body);
        assert.is(JSON.parse(answer.body).theme, "after");
      } finally {
        await shutdown(second.server);
      }
    } finally {
      await gateway.stop();
    }
  });
}

test("http2 transport: the call carries grpc-timeout and te: trailers, so a grpc-js server sees the deadline", async () => {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  let seenDeadline = 0;
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
    GetShelf: (call: { getDeadline(): Date | number }, callback: (error: null, value: object) => void) => {
      const deadline = call.getDeadline();
      seenDeadline = deadline instanceof Date ? deadline.getTime() : deadline;
      callback(null, { id: "1" });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  const gateway = await startGateway({ services: { shelves: { protocol: "grpc", targets: [`127.0.0.1:${port}`], protos: ["rosetta/demo/v1/bookstore.proto"], timeout: "750ms" } } });
  try {
    const started = Date.now();
    const response = await request(`${gateway.url}/v1/shelves/1`);
    await response.body.dump();
    assert.is(response.statusCode, 200);
    assert.ok(seenDeadline > started + 500 && seenDeadline <= started + 900, `deadline ${seenDeadline - started}ms ahead`);
  } finally {
    await gateway.stop();
    await shutdown(server);
  }
});

test.run();
