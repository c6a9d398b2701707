/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { Server as GrpcServer, ServerCredentials } from "@grpc/grpc-js";
import { request } from "undici";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";

/**
 * Upstreams that reset, close or talk garbage at every stage of a reply,
 * 20 calls per stage at once. An unhandled socket error would surface as an
 * 'uncaughtException' (it kills a real gateway); here it is recorded instead,
 * and every test asserts there was none and that a healthy route still answers.
 */
const rounds = 20;
const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);

let healthy: TestUpstream;

test.before(async () => {
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  healthy = await startUpstream();
});

test.after(async () => {
  process.off("uncaughtException", onCrash);
  process.off("unhandledRejection", onCrash);
  await healthy.close();
});

/** A raw TCP server that does `misbehave` with each connection once the first bytes arrive (or at once). */
async function misbehaving(misbehave: (socket: Socket, first: Buffer) => void, atConnect = false): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    if (atConnect) misbehave(socket, Buffer.alloc(0));
    else socket.once("data", (first: Buffer) => misbehave(socket, first));
  }).listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const reset = (socket: Socket) => socket.resetAndDestroy();
/** Writes bytes, then resets once they are flushed to the kernel. */
const writeThenReset = (bytes: string | Buffer) => (socket: Socket) => socket.write(bytes, () => socket.resetAndDestroy());
const garbage = Buffer.from("\u0000\u00ff\u0013garbage \u0001\u0002 not a protocol\r\n\r\n\u0000", "latin1");

/** One call through the gateway: "<status>" when the body arrived whole, "<status> cut" when it did not, "cut" when the connection closed before any head. */
async function outcome(url: string): Promise<string> {
  try {
    const response = await request(url);
    const complete = await response.body.text().then(
      (text) => text,
      () => undefined,
    );
    if (complete === undefined) return `${response.statusCode} cut`;
    // A stream that failed after its head ends with an error line rather than a cut.
    const errorLine = /"error":\{"code":(\d+)/.exec(complete);
    return errorLine === null ? String(response.statusCode) : `${response.statusCode} error ${errorLine[1]}`;
  } catch {
    return "cut";
  }
}

async function assertAlive(gateway: TestGateway): Promise<void> {
  assert.equal(crashes, [], `the gateway would have crashed: ${crashes.map(String).join("; ")}`);
  assert.is(await outcome(`${gateway.url}/healthy/x`), "200", "a healthy route still answers");
}

function assertOutcomes(stage: string, outcomes: string[], allowed: readonly string[]): void {
  const unexpected = outcomes.filter((value) => !allowed.includes(value));
  assert.equal(unexpected, [], `${stage}: ${outcomes.join(", ")}`);
}

const healthyRoute = { id: "healthy", match: { path: "/healthy/**" }, upstream: { service: "healthy" } };

const httpStages: readonly { stage: string; misbehave: (socket: Socket, first: Buffer) => void; allowed: readonly string[] }[] = [
  { stage: "resets before the head", misbehave: reset, allowed: ["503"] },
  { stage: "closes before the head", misbehave: (socket) => socket.end(), allowed: ["503"] },
  { stage: "resets mid-head", misbehave: writeThenReset("HTTP/1.1 200 OK\r\nContent-Le"), allowed: ["503"] },
  // Once the upstream's head is in, the caller's connection is cut (with or without the head written yet); a reset can also overtake the head in the kernel (then 503).
  { stage: "resets after the head", misbehave: writeThenReset("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), allowed: ["cut", "200 cut", "503"] },
  { stage: "resets mid-body", misbehave: writeThenReset("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf a body"), allowed: ["cut", "200 cut", "503"] },
  { stage: "closes mid-chunked-body", misbehave: (socket) => socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"), allowed: ["200 cut"] },
  { stage: "talks garbage", misbehave: (socket) => socket.end(garbage), allowed: ["502"] },
];

for (const { stage, misbehave, allowed } of httpStages) {
  test(`HTTP upstream that ${stage}: ${rounds} calls get the documented answer, the process lives, others are served`, async () => {
    const upstream = await misbehaving(misbehave);
    const gateway = await startGateway({
      services: { bad: { protocol: "http", targets: [`http://127.0.0.1:${upstream.port}`] }, healthy: { protocol: "http", targets: [healthy.origin] } },
      routes: [healthyRoute, { id: "bad", upstream: { service: "bad" } }],
    });
    try {
      const outcomes = await Promise.all(Array.from({ length: rounds }, (_, index) => outcome(`${gateway.url}/bad/${index}`)));
      assertOutcomes(stage, outcomes, allowed);
      await assertAlive(gateway);
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
}

const grpcStages: readonly { stage: string; misbehave: (socket: Socket, first: Buffer) => void; atConnect: boolean; allowed: readonly string[] }[] = [
  { stage: "resets at connect", misbehave: reset, atConnect: true, allowed: ["503"] },
  { stage: "closes at connect", misbehave: (socket) => socket.end(), atConnect: true, allowed: ["503"] },
  { stage: "resets after the client preface", misbehave: reset, atConnect: false, allowed: ["503"] },
  // No HTTP/2 connection was ever established, so no call reached the upstream: unreachable (503), as for a failed TLS handshake.
  { stage: "talks garbage instead of HTTP/2", misbehave: (socket) => socket.end(garbage), atConnect: false, allowed: ["503"] },
  { stage: "sends half a SETTINGS frame and resets", misbehave: writeThenReset(Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3])), atConnect: false, allowed: ["503"] },
];

for (const transport of ["http2", "grpc-js"] as const) {
  for (const { stage, misbehave, atConnect, allowed } of grpcStages) {
    test(`gRPC upstream (${transport} unary, grpc-js stream) that ${stage}: the process lives, others are served`, async () => {
      const upstream = await misbehaving(misbehave, atConnect);
      const gateway = await startGateway({
        services: {
          store: { protocol: "grpc", targets: [`127.0.0.1:${upstream.port}`], protos: ["rosetta/demo/v1/bookstore.proto"], unaryTransport: transport, timeout: "2s" },
          healthy: { protocol: "http", targets: [healthy.origin] },
        },
        routes: [healthyRoute],
      });
      try {
        const outcomes = await Promise.all(Array.from({ length: rounds }, (_, index) => outcome(`${gateway.url}/v1/shelves/${index}${index % 2 === 0 ? "" : ":watch"}`)));
        assertOutcomes(stage, outcomes, allowed);
        await assertAlive(gateway);
      } finally {
        await gateway.stop();
        await upstream.close();
      }
    });
  }
}

test(`a real grpc-js server killed mid-stream under ${rounds} server streams: each ends with an error or a cut, the process lives`, async () => {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  const server = new GrpcServer();
  let streaming = 0;
  let allStreaming: () => void;
  const ready = new Promise<void>((resolve) => (allStreaming = resolve));
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
    GetShelf: (_call: any, callback: any) => callback(null, { id: "1" }),
    WatchShelf: (call: any) => {
      call.write({ id: "1", title: "first" });
      if (++streaming === rounds) allStreaming();
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  const gateway = await startGateway({
    services: {
      store: { protocol: "grpc", targets: [`127.0.0.1:${port}`], protos: ["rosetta/demo/v1/bookstore.proto"], timeout: "5s" },
      healthy: { protocol: "http", targets: [healthy.origin] },
    },
    routes: [healthyRoute],
  });
  try {
    const calls = Array.from({ length: rounds }, (_, index) => outcome(`${gateway.url}/v1/shelves/${index}:watch`));
    await ready;
    server.forceShutdown();
    const outcomes = await Promise.all(calls);
    // UNAVAILABLE: in the stream's error line, or as the status when the kill overtook the first message.
    assertOutcomes("killed mid-stream", outcomes, ["200 error 14", "200 cut", "503"]);
    await assertAlive(gateway);
  } finally {
    await gateway.stop();
    server.forceShutdown();
  }
});

/** Answers every NDJSON request frame on the socket (the first chunk included) with `reply(id)`. */
function answerEachFrame(socket: Socket, first: Buffer, reply: (id: string) => string): void {
  let pending = "";
  const onData = (chunk: Buffer) => {
    pending += chunk.toString();
    for (let newline = pending.indexOf("\n"); newline >= 0; newline = pending.indexOf("\n")) {
      const id = (JSON.parse(pending.slice(0, newline)) as { id: string }).id;
      pending = pending.slice(newline + 1);
      socket.write(reply(id));
    }
  };
  socket.on("data", onData);
  onData(first);
}

const tcpStages: readonly { stage: string; misbehave: (socket: Socket, first: Buffer) => void; allowed: readonly string[] }[] = [
  { stage: "resets on the request", misbehave: reset, allowed: ["503"] },
  { stage: "closes on the request", misbehave: (socket) => socket.end(), allowed: ["503"] },
  { stage: "writes half a reply frame and resets", misbehave: writeThenReset('{"id":"1","status":200,"bo'), allowed: ["503"] },
  { stage: "answers garbage lines", misbehave: (socket) => socket.write(Buffer.concat([garbage, Buffer.from("\n")])), allowed: ["502"] },
  { stage: "answers an informational status", misbehave: (socket, first) => answerEachFrame(socket, first, (id) => `{"id":${JSON.stringify(id)},"status":100}\n`), allowed: ["502"] },
  { stage: "answers a frame over maxFrameBytes", misbehave: (socket) => socket.write(`{"id":"1","status":200,"body":"${"x".repeat(2048)}"}\n`), allowed: ["502"] },
];

for (const { stage, misbehave, allowed } of tcpStages) {
  test(`TCP upstream that ${stage}: ${rounds} calls get the documented answer, the process lives, others are served`, async () => {
    const upstream = await misbehaving(misbehave);
    const gateway = await startGateway({
      services: {
        bad: { protocol: "tcp", targets: [`127.0.0.1:${upstream.port}`], connections: 4, maxFrameBytes: "1KiB", timeout: "2s" },
        healthy: { protocol: "http", targets: [healthy.origin] },
      },
      routes: [healthyRoute, { id: "bad", upstream: { service: "bad" } }],
    });
    try {
      const outcomes = await Promise.all(Array.from({ length: rounds }, (_, index) => outcome(`${gateway.url}/bad/${index}`)));
      assertOutcomes(stage, outcomes, allowed);
      await assertAlive(gateway);
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
}

test.run();
