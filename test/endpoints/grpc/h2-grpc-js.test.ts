import { test } from "uvu";
import * as assert from "uvu/assert";
import { Metadata, Server, ServerCredentials, status as grpcStatus, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from "@grpc/grpc-js";
import { Cancellation } from "../../../src/core/cancellation.js";
import { h2Call, h2Channel, failed, succeeded } from "../../helpers/h2-client.js";
import { waitFor } from "../../helpers/wait.js";

/** Rosetta's HTTP/2 client against a real @grpc/grpc-js server; messages travel as raw bytes. */

const identity = (bytes: Buffer) => bytes;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const definition: ServiceDefinition = { Echo: method("/test.Echo/Echo"), Fail: method("/test.Echo/Fail"), Slow: method("/test.Echo/Slow") };

type Handler = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void;

async function serve(handlers: Record<string, Handler>): Promise<{ target: string; server: Server }> {
  const server = new Server();
  server.addService(definition, handlers);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return { target: `127.0.0.1:${port}`, server };
}

const stop = (server: Server) => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));

test("grpc-js server: unary calls, many in parallel on one connection, bytes exact both ways", async () => {
  const { target, server } = await serve({ Echo: (call, callback) => callback(null, Buffer.concat([Buffer.from("echo:"), call.request])) });
  const channel = h2Channel(target);
  try {
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, index) => h2Call(channel, "/test.Echo/Echo", Buffer.from(`call ${index}`))));
    for (const [index, outcome] of outcomes.entries()) assert.is(succeeded(outcome).message.toString(), `echo:call ${index}`);
    // An empty request message is a valid (zero-length) frame.
    assert.is(succeeded(await h2Call(channel, "/test.Echo/Echo", Buffer.alloc(0))).message.toString(), "echo:");
  } finally {
    channel.close();
    await stop(server);
  }
});

test("grpc-js server: metadata both ways, text and -bin, headers and trailers", async () => {
  let seen: Metadata | undefined;
  const { target, server } = await serve({
    Echo: (call, callback) => {
      seen = call.metadata;
      const head = new Metadata();
      head.set("x-head", "first");
      head.set("x-raw-bin", Buffer.from([0, 1, 2, 255]));
      call.sendMetadata(head);
      const trailer = new Metadata();
      trailer.set("x-trail", "last");
      callback(null, Buffer.from("ok"), trailer);
    },
  });
  const channel = h2Channel(target);
  try {
    const metadata = new Metadata();
    metadata.add("x-request-id", "abc-123");
    metadata.add("x-multi", "one");
    metadata.add("x-multi", "two");
    metadata.add("x-key-bin", Buffer.from([9, 8, 7, 0]));
    const result = succeeded(await h2Call(channel, "/test.Echo/Echo", Buffer.from("hi"), { metadata }));
    assert.equal(seen?.get("x-request-id"), ["abc-123"]);
    // Two fields of one name arrive; node:http2 (under grpc-js) joins them.
    assert.is(seen?.get("x-multi").join(", "), "one, two");
    assert.equal(seen?.get("x-key-bin"), [Buffer.from([9, 8, 7, 0])]);
    assert.equal(seen?.get("user-agent")[0]?.toString().startsWith("rosetta"), true);
    assert.equal(result.headers?.get("x-head"), ["first"]);
    assert.equal(result.headers?.get("x-raw-bin"), [Buffer.from([0, 1, 2, 255])]);
    assert.equal(result.trailers?.get("x-trail"), ["last"]);
    // The transport's own fields are not metadata.
    assert.equal(result.trailers?.get("grpc-status"), []);
  } finally {
    channel.close();
    await stop(server);
  }
});

test("grpc-js server: an error status with message, metadata and grpc-status-details-bin", async () => {
  const details = Buffer.from([0x08, 0x05, 0x12, 0x04, 0x67, 0x6f, 0x6e, 0x65]);
  const { target, server } = await serve({
    Fail: (_call, callback) => {
      const metadata = new Metadata();
      metadata.set("grpc-status-details-bin", details);
      metadata.set("x-why", "missing");
      callback({ code: grpcStatus.NOT_FOUND, details: "shelf 7 is gone — 100%", metadata });
    },
  });
  const channel = h2Channel(target);
  try {
    const status = failed(await h2Call(channel, "/test.Echo/Fail", Buffer.from("x")));
    assert.is(status.code, grpcStatus.NOT_FOUND);
    assert.is(status.details, "shelf 7 is gone — 100%");
    assert.is(status.transport, false);
    assert.equal(status.metadata?.get("grpc-status-details-bin"), [details]);
    assert.equal(status.metadata?.get("x-why"), ["missing"]);
    // An unknown method: the server's UNIMPLEMENTED (trailers-only).
    assert.is(failed(await h2Call(channel, "/test.Echo/Nope", Buffer.from("x"))).code, grpcStatus.UNIMPLEMENTED);
  } finally {
    channel.close();
    await stop(server);
  }
});

test("grpc-js server: the deadline travels as grpc-timeout and ends the call locally with DEADLINE_EXCEEDED; the server sees it cancelled", async () => {
  let serverDeadline = 0;
  let serverCancelled = false;
  const { target, server } = await serve({
    Slow: (call) => {
      const deadline = call.getDeadline();
      serverDeadline = deadline instanceof Date ? deadline.getTime() : deadline;
      call.on("cancelled", () => (serverCancelled = true));
    },
  });
  const channel = h2Channel(target);
  try {
    const started = Date.now();
    const status = failed(await h2Call(channel, "/test.Echo/Slow", Buffer.from("x"), { timeout: 300 }));
    assert.is(status.code, grpcStatus.DEADLINE_EXCEEDED);
    assert.ok(serverDeadline > started && serverDeadline <= started + 1000, `server deadline ${serverDeadline - started} ms ahead`);
    await waitFor(() => serverCancelled, "the server to see the call end");
  } finally {
    channel.close();
    await stop(server);
  }
});

test("grpc-js server: a caller that goes away cancels the call (RST_STREAM CANCEL reaches the server); the connection serves the next call", async () => {
  let started = 0;
  let cancelled = 0;
  const { target, server } = await serve({
    Slow: (call) => {
      started++;
      call.on("cancelled", () => cancelled++);
    },
    Echo: (call, callback) => callback(null, call.request),
  });
  const channel = h2Channel(target);
  try {
    const cancellation = new Cancellation();
    const pending = h2Call(channel, "/test.Echo/Slow", Buffer.from("x"), { cancellation });
    await waitFor(() => started === 1, "the call to reach the server");
    const reason = new Error("the caller left");
    cancellation.cancel(reason);
    const outcome = await pending;
    assert.is(outcome.ok, false);
    assert.is(outcome.ok ? undefined : outcome.error, reason);
    await waitFor(() => cancelled === 1, "the server to see the cancellation");
    assert.is(succeeded(await h2Call(channel, "/test.Echo/Echo", Buffer.from("next"))).message.toString(), "next");
  } finally {
    channel.close();
    await stop(server);
  }
});

test("grpc-js server: a reply over maxReceiveMessageSize is refused as malformed, naming the limit", async () => {
  const { target, server } = await serve({ Echo: (_call, callback) => callback(null, Buffer.alloc(200_000, 1)) });
  const channel = h2Channel(target, { maxReceiveMessageSize: 100_000 });
  try {
    const status = failed(await h2Call(channel, "/test.Echo/Echo", Buffer.from("x")));
    assert.is(status.malformed, true);
    assert.match(status.details ?? "", /200000 bytes is over maxReceiveMessageSize \(100000 bytes\)/);
  } finally {
    channel.close();
    await stop(server);
  }
});

test("grpc-js server: nothing listening → UNAVAILABLE, no connection established, then backoff; calls work once it listens", async () => {
  const { target, server } = await serve({ Echo: (call, callback) => callback(null, call.request) });
  await stop(server);
  const channel = h2Channel(target);
  try {
    const status = failed(await h2Call(channel, "/test.Echo/Echo", Buffer.from("x")));
    assert.is(status.code, grpcStatus.UNAVAILABLE);
    assert.is(status.transport, true);
    assert.match(status.details ?? "", /^No connection established to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    const again = failed(await h2Call(channel, "/test.Echo/Echo", Buffer.from("x")));
    assert.match(again.details ?? "", /No connection established .*(backoff|ECONNREFUSED)/);
  } finally {
    channel.close();
  }
});

test.run();
