import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import type { BenchTargetSpec } from "../../src/bench/bench-target.js";
import { grpcTargetFactory } from "../../src/bench/targets/grpc-target.js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { startLibraryServer, type TestGrpcServer } from "../helpers/grpc-server.js";
import { drive, spec } from "./drive.js";

/**
 * The grpc bench target against a real @grpc/grpc-js server (types from
 * --proto files and from server reflection), and against node:http2 servers
 * of the test's own that never answer or drop the connection.
 */
let library: TestGrpcServer;

const grpcSpec = (path: string, fields: Partial<BenchTargetSpec> = {}): BenchTargetSpec =>
  spec({ protocol: "grpc", url: `grpc://${library.target}/${path}`, protoFiles: ["rosetta/test/v1/library.proto"], importPaths: ["test/protos"], ...fields });

test.before(async () => {
  library = await startLibraryServer();
});

test.after(async () => {
  await library.close();
});

test("--proto: templated JSON bodies are encoded to protobuf, many streams in flight per session, every call OK once (past the ~1000 resets after which a server calls GOAWAY), bytes counted", async () => {
  library.calls.length = 0;
  const target = await grpcTargetFactory.create(grpcSpec("rosetta.test.v1.Library/GetBook", { body: '{"name": "shelves/1/books/{{seq}}"}', inFlightPerConnection: 32 }));
  assert.is(target.inFlightPerConnection, 32);
  try {
    const result = await drive(target, 1500, 1, 60_000);
    assert.equal(result.outcomes, { OK: 1500 });
    assert.is(result.doubleDone, 0);
    assert.ok(result.bytes > 1500 * 20, `${result.bytes} bytes of reply messages`);
    const names = new Set(library.calls.filter((call) => call.method === "GetBook").map((call) => call.request.name));
    assert.is(names.size, 1500, "each request carried its own rendering");
    assert.ok(names.has("shelves/1/books/0") && names.has("shelves/1/books/1499"));
    // The timeout travels as grpc-timeout, so the server knows the deadline too.
    assert.ok(library.calls.every((call) => call.deadline !== undefined));
  } finally {
    await target.close();
  }
});

test("errors are counted by grpc-status code name, from trailers and from trailers-only replies", async () => {
  const failing = await grpcTargetFactory.create(grpcSpec("rosetta.test.v1.Library/Fail", { body: '{"code": 5, "message": "gone"}' }));
  // The demo's Bookstore against the library server: the server does not have it (a trailers-only UNIMPLEMENTED).
  const unknown = await grpcTargetFactory.create(
    spec({ protocol: "grpc", url: `grpc://${library.target}/rosetta.demo.v1.Bookstore/GetShelf`, protoFiles: ["rosetta/demo/v1/bookstore.proto"], body: '{"shelf": "1"}' }),
  );
  try {
    assert.equal((await drive(failing, 30, 1)).outcomes, { NOT_FOUND: 30 });
    const unimplemented = await drive(unknown, 30, 1);
    assert.equal(unimplemented.outcomes, { UNIMPLEMENTED: 30 });
    assert.is(unimplemented.ok, 0);
  } finally {
    await failing.close();
    await unknown.close();
  }
});

test("reflection: with no --proto the types come from the server's reflection service", async () => {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
    GetShelf: (call: { request: { shelf?: string } }, callback: (error: null, value: object) => void) => callback(null, { id: call.request.shelf, theme: "reflected" }),
  });
  new ReflectionService(loadSync("rosetta/demo/v1/bookstore.proto", { includeDirs: ["protos"] })).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  try {
    const target = await grpcTargetFactory.create(spec({ protocol: "grpc", url: `grpc://127.0.0.1:${port}/rosetta.demo.v1.Bookstore/GetShelf`, body: '{"shelf": "{{seq}}"}' }));
    try {
      const result = await drive(target, 100, 2);
      assert.equal(result.outcomes, { OK: 100 });
    } finally {
      await target.close();
    }
    // Reflection also names what the server has when the URL names something else.
    try {
      await grpcTargetFactory.create(spec({ protocol: "grpc", url: `grpc://127.0.0.1:${port}/rosetta.demo.v1.Bookstore/GetShelves` }));
      assert.unreachable("created");
    } catch (error) {
      assert.match(String(error), /no method rosetta\.demo\.v1\.Bookstore\/GetShelves: rosetta\.demo\.v1\.Bookstore has .*GetShelf/);
    }
  } finally {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
});

/** A plain node:http2 server on 127.0.0.1:0 that handles each stream with `onStream`; it counts the streams it saw. */
async function rawServer(onStream: (stream: ServerHttp2Stream) => void): Promise<{ server: Http2Server; port: number; streams: () => number; close: () => Promise<void> }> {
  let streams = 0;
  const server = createServer();
  server.on("stream", (stream) => {
    streams++;
    stream.on("error", () => undefined);
    onStream(stream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    server,
    port,
    streams: () => streams,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
      }),
  };
}

test('a server that never answers: every call is a "timeout", with inFlightPerConnection streams open on each session', async () => {
  const silent = await rawServer(() => undefined);
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  silent.server.on("session", (session) => sessions.add(session));
  try {
    const target = await grpcTargetFactory.create(
      spec({
        protocol: "grpc",
        url: `grpc://127.0.0.1:${silent.port}/rosetta.test.v1.Library/GetBook`,
        protoFiles: ["rosetta/test/v1/library.proto"],
        importPaths: ["test/protos"],
        timeoutMs: 200,
        inFlightPerConnection: 6,
      }),
    );
    try {
      const result = await drive(target, 12, 2);
      assert.equal(result.outcomes, { timeout: 12 });
      assert.is(silent.streams(), 12, "6 streams in flight on each of 2 sessions");
    } finally {
      await target.close();
    }
  } finally {
    for (const session of sessions) session.destroy();
    await silent.close();
  }
});

test('a server that drops the connection ends every call with "closed", an errno or the stream\'s reset; the HTTP status of a non-gRPC reply is counted', async () => {
  const dropping = await rawServer((stream) => stream.session?.destroy());
  const notGrpc = await rawServer((stream) => {
    stream.respond({ ":status": 404, "content-type": "text/plain" });
    stream.end("no");
  });
  try {
    const target = await grpcTargetFactory.create(
      spec({ protocol: "grpc", url: `grpc://127.0.0.1:${dropping.port}/rosetta.test.v1.Library/GetBook`, protoFiles: ["rosetta/test/v1/library.proto"], importPaths: ["test/protos"] }),
    );
    try {
      const result = await drive(target, 20, 1);
      assert.is(result.ok, 0);
      assert.is(result.doubleDone, 0);
      for (const outcome of Object.keys(result.outcomes)) assert.match(outcome, /^(closed|goaway|E[A-Z_]+|RST_STREAM [A-Z_]+)$/, JSON.stringify(result.outcomes));
    } finally {
      await target.close();
    }
    const http = await grpcTargetFactory.create(
      spec({ protocol: "grpc", url: `grpc://127.0.0.1:${notGrpc.port}/rosetta.test.v1.Library/GetBook`, protoFiles: ["rosetta/test/v1/library.proto"], importPaths: ["test/protos"] }),
    );
    try {
      assert.equal((await drive(http, 10, 1)).outcomes, { "HTTP 404": 10 });
    } finally {
      await http.close();
    }
  } finally {
    await dropping.close();
    await notGrpc.close();
  }
});

test("bad specs are precise errors at create()", async () => {
  const cases: Array<[Partial<BenchTargetSpec>, string, RegExp]> = [
    [{}, "rosetta.test.v1.Library", /must name the method as grpc:\/\/host:port\/package\.Service\/Method/],
    [{}, "rosetta.test.v1.Library/Nope", /no method rosetta\.test\.v1\.Library\/Nope: rosetta\.test\.v1\.Library has GetShelf, ListBooks/],
    [{}, "rosetta.test.v1.Shelves/GetShelf", /no service rosetta\.test\.v1\.Shelves in rosetta\/test\/v1\/library\.proto/],
    [{}, "rosetta.test.v1.Library/CollectBooks", /takes a client stream/],
    [{ body: "{not json" }, "rosetta.test.v1.Library/GetBook", /the body must be the JSON of rosetta\.test\.v1\.GetBookRequest/],
    [{ body: '{"name": 12}' }, "rosetta.test.v1.Library/GetBook", /the body is not a rosetta\.test\.v1\.GetBookRequest: .*name/],
    [{ protoFiles: ["no/such.proto"] }, "rosetta.test.v1.Library/GetBook", /no\/such\.proto/],
  ];
  for (const [fields, path, expected] of cases) {
    try {
      await grpcTargetFactory.create(grpcSpec(path, fields));
      assert.unreachable(`${path} ${JSON.stringify(fields)} was accepted`);
    } catch (error) {
      assert.match(String(error), expected);
    }
  }
});

test.run();
