import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { Server as GrpcServer, ServerCredentials } from "@grpc/grpc-js";
import { WebSocketServer } from "ws";
import type { BenchReport } from "../../src/bench/bench-report.js";
import type { BenchTargetSpec } from "../../src/bench/bench-target.js";
import { redialDelayMs } from "../../src/bench/redialing-connection.js";
import { runBench } from "../../src/bench/run-bench.js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { load, spec } from "./bench-servers.js";

/**
 * Servers that go away in the middle of a run (every connection dropped, the
 * port refusing) and come back on the same port: for every kind of target the
 * requests lost are counted once each, the run goes on after the server is
 * back, and a refusing server is retried with a backoff, not in a loop that
 * counts thousands of failures a second.
 */

/** A server of one protocol that can be stopped (connections dropped, port closed) and started again on its port. */
interface Restartable {
  readonly kind: string;
  readonly spec: (port: number) => BenchTargetSpec;
  /** Requests answered since start. */
  answered: number;
  start(port: number): Promise<number>;
  stop(): Promise<void>;
}

const frameReply = (line: string): string => `{"id":${JSON.stringify((JSON.parse(line) as { id: string }).id)},"status":200,"body":{}}`;

function tcpFrames(): Restartable {
  let server: NetServer | undefined;
  const sockets = new Set<Socket>();
  const restartable: Restartable = {
    kind: "tcp",
    spec: (port) => spec(`tcp://127.0.0.1:${port}`, { protocol: "tcp", path: "/x" }),
    answered: 0,
    async start(port) {
      server = createNetServer((socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
        let buffered = "";
        socket.on("data", (chunk: Buffer) => {
          buffered += chunk.toString("utf8");
          const lines = buffered.split("\n");
          buffered = lines.pop() ?? "";
          for (const line of lines) {
            restartable.answered++;
            socket.write(`${frameReply(line)}\n`);
          }
        });
      }).listen(port, "127.0.0.1");
      await once(server, "listening");
      return portOf(server.address());
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server?.close(resolve));
    },
  };
  return restartable;
}

function wsFrames(): Restartable {
  let server: WebSocketServer | undefined;
  const restartable: Restartable = {
    kind: "ws",
    spec: (port) => spec(`ws://127.0.0.1:${port}/`, { protocol: "ws", path: "/x" }),
    answered: 0,
    async start(port) {
      server = new WebSocketServer({ host: "127.0.0.1", port });
      server.on("connection", (socket) =>
        socket.on("message", (data) => {
          restartable.answered++;
          socket.send(frameReply(String(data)));
        }),
      );
      await once(server, "listening");
      return portOf(server.address());
    },
    async stop() {
      for (const client of server?.clients ?? []) client.terminate();
      await new Promise((resolve) => server?.close(resolve));
    },
  };
  return restartable;
}

function http(): Restartable {
  let server: HttpServer | undefined;
  const restartable: Restartable = {
    kind: "http",
    spec: (port) => spec(`http://127.0.0.1:${port}/x`),
    answered: 0,
    async start(port) {
      server = createHttpServer((_, response) => {
        restartable.answered++;
        response.end("ok");
      }).listen(port, "127.0.0.1");
      await once(server, "listening");
      return portOf(server.address());
    },
    async stop() {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    },
  };
  return restartable;
}

function grpc(registry: ProtoRegistry): Restartable {
  let server: GrpcServer | undefined;
  const restartable: Restartable = {
    kind: "grpc",
    spec: (port) =>
      spec(`grpc://127.0.0.1:${port}/rosetta.test.v1.Library/GetShelf`, { protocol: "grpc", protoFiles: ["rosetta/test/v1/library.proto"], importPaths: ["test/protos"], body: '{"shelf": "1"}' }),
    answered: 0,
    async start(port) {
      const started = new GrpcServer();
      server = started;
      started.addService(serviceDefinition(registry.findService("rosetta.test.v1.Library")!), {
        GetShelf: (call: { request: { shelf?: string } }, callback: (error: null, value: object) => void) => {
          restartable.answered++;
          callback(null, { id: call.request.shelf, theme: "back" });
        },
      });
      return new Promise<number>((resolve, reject) => started.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
    },
    async stop() {
      server?.forceShutdown();
    },
  };
  return restartable;
}

async function until(condition: () => boolean, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the run to start");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const portOf = (address: unknown): number => (typeof address === "object" && address !== null && "port" in address && typeof address.port === "number" ? address.port : 0);

test("the backoff between attempts that bring no answer: none at first, then 10 ms doubling to 1 s", () => {
  assert.equal([0, 1, 2, 3, 7, 8, 20, 2000].map(redialDelayMs), [0, 10, 20, 40, 640, 1000, 1000, 1000]);
});

test("a server that drops every connection and refuses for a while, then comes back: each lost request counted once, the run carries on, no failure loop (tcp, ws, http, grpc)", async () => {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/library.proto"]);
  const servers = [tcpFrames(), wsFrames(), http(), grpc(registry)];
  // 2 connections × 4 in flight (HTTP: one each), down for 1.2 s of a 3 s run.
  const connections = 2;
  const inFlight = 4;
  const downMs = 1200;
  const runs = servers.map(async (server) => {
    const port = await server.start(0);
    const run = runBench({
      targets: [{ name: server.kind, spec: { ...server.spec(port), inFlightPerConnection: inFlight, timeoutMs: 2000 } }],
      load: load({ connections, workers: 1, durationMs: 3000 }),
    });
    // Down once the run is under way (worker threads take a while to start on a busy machine).
    await until(() => server.answered >= 20);
    await server.stop();
    const answeredBefore = server.answered;
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await server.start(port);
    const report = await run;
    await server.stop();
    return { server, report, answeredAfter: server.answered - answeredBefore };
  });
  const results = await Promise.all(runs);
  for (const { server, report, answeredAfter } of results) {
    const target = (report as BenchReport).targets[0]!;
    const errors = Object.values(target.errors).reduce((sum, count) => sum + count, 0);
    const summary = `${server.kind}: ${JSON.stringify(target.errors)}, ${target.requests} requests, ${answeredAfter} answered after the restart`;
    if (process.env.BENCH_DEBUG) console.log(summary);
    assert.ok(errors >= 1, `${summary}: the outage shows as errors`);
    for (const outcome of Object.keys(target.errors)) assert.match(outcome, /^(closed|goaway|timeout|E[A-Z_]+|RST_STREAM [A-Z_]+)$/, summary);
    assert.ok(answeredAfter > 0, `${summary}: requests reach the server once it is back`);
    // Failures while it is down come a few per slot per attempt, attempts spaced 10, 20, 40 … ms apart: about 8 slots × 8
    // attempts in 1.2 s, plus those in flight when it dropped. Sending again on a dead connection at once makes thousands.
    assert.ok(errors <= 400, `${summary}: failures bounded by the backoff`);
  }
});

test.run();
