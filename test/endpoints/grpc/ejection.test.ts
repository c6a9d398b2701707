import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";

/** A port that was free a moment ago and now has nothing listening: connections are refused. */
async function refusedTarget(): Promise<string> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

/** A target that accepts the connection and never says a word: every call runs into its deadline. */
async function silentTarget(): Promise<{ target: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  }).listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    target: `127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function libraryGateway(targets: string[], transport: string, extra: Record<string, unknown> = {}): Promise<TestGateway> {
  return startGateway({
    protos: { include: ["test/protos"] },
    services: {
      library: { protocol: "grpc", targets, protos: ["rosetta/test/v1/library.proto"], unaryTransport: transport, timeout: "3s", ejection: { consecutiveFailures: 2, baseTime: "30s" }, ...extra },
    },
  });
}

async function statuses(gateway: TestGateway, path: (index: number) => string, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let index = 0; index < count; index++) {
    const response = await request(`${gateway.url}${path(index)}`);
    result.push(response.statusCode);
    await response.body.dump();
  }
  return result;
}

const shelfCalls = (server: TestGrpcServer) => server.calls.filter((call) => call.method === "GetShelf").length;

for (const transport of ["http2", "grpc-js"] as const) {
  test(`${transport} transport: a refused target is ejected after consecutiveFailures; then every call goes to the live one`, async () => {
    const live = await startLibraryServer();
    const gateway = await libraryGateway([await refusedTarget(), live.target], transport);
    try {
      const seen = await statuses(gateway, (index) => `/v1/shelves/${index}`, 20);
      const failures = seen.filter((status) => status !== 200);
      assert.ok(
        failures.every((status) => status === 503),
        seen.join(","),
      );
      assert.ok(failures.length <= 2, `at most consecutiveFailures calls reach the refused target: ${seen.join(",")}`);
      assert.equal(seen.slice(-16), Array(16).fill(200));
      assert.is(shelfCalls(live), 20 - failures.length);
    } finally {
      await gateway.stop();
      await live.close();
    }
  });

  test(`${transport} transport: a target that lets calls run past their deadline is ejected`, async () => {
    const live = await startLibraryServer();
    const silent = await silentTarget();
    const gateway = await libraryGateway([silent.target, live.target], transport, { timeout: "300ms" });
    try {
      const seen = await statuses(gateway, (index) => `/v1/shelves/${index}`, 12);
      const failures = seen.filter((status) => status !== 200);
      assert.ok(
        failures.every((status) => status === 504),
        seen.join(","),
      );
      assert.ok(failures.length >= 1 && failures.length <= 2, seen.join(","));
      assert.equal(seen.slice(-8), Array(8).fill(200));
    } finally {
      await gateway.stop();
      await silent.close();
      await live.close();
    }
  });

  test(`${transport} transport: an UNAVAILABLE status the upstream answers itself ejects nothing`, async () => {
    const first = await startLibraryServer();
    const second = await startLibraryServer();
    const gateway = await libraryGateway([first.target, second.target], transport);
    try {
      assert.equal(await statuses(gateway, () => "/v1/fail/14", 8), Array(8).fill(503));
      assert.equal(await statuses(gateway, (index) => `/v1/shelves/${index}`, 8), Array(8).fill(200));
      assert.is(shelfCalls(first), 4);
      assert.is(shelfCalls(second), 4);
    } finally {
      await gateway.stop();
      await first.close();
      await second.close();
    }
  });
}

test("streaming calls skip an ejected target too", async () => {
  const live = await startLibraryServer();
  const gateway = await libraryGateway([await refusedTarget(), live.target], "http2");
  try {
    // Unary calls eject the refused target; the streams that follow all reach the live one.
    await statuses(gateway, (index) => `/v1/shelves/${index}`, 6);
    assert.equal(await statuses(gateway, () => "/v1/shelves/1/books:stream", 4), Array(4).fill(200));
    assert.is(live.calls.filter((call) => call.method === "StreamBooks").length, 4);
  } finally {
    await gateway.stop();
    await live.close();
  }
});

test.run();
