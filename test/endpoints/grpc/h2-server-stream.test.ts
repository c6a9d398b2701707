import { test } from "uvu";
import * as assert from "uvu/assert";
import { Metadata, Server, ServerCredentials, status as grpcStatus, type ServerWritableStream, type ServiceDefinition } from "@grpc/grpc-js";
import { GatewayError } from "../../../src/core/gateway-error.js";
import { h2ServerStream, h2Channel } from "../../helpers/h2-client.js";
import { waitFor } from "../../helpers/wait.js";

/** Server streaming on Rosetta's HTTP/2 client, against a real @grpc/grpc-js server. */

const identity = (bytes: Buffer) => bytes;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: true,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const definition: ServiceDefinition = { Watch: method("/test.Feed/Watch") };

async function serve(watch: (call: ServerWritableStream<Buffer, Buffer>) => void): Promise<{ target: string; server: Server }> {
  const server = new Server();
  server.addService(definition, { Watch: watch });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return { target: `127.0.0.1:${port}`, server };
}
const stop = (server: Server) => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));

test("300 messages of 64 KiB arrive in order; a reader that pauses holds the server back (flow control), not the client's memory", async () => {
  let written = 0;
  const { target, server } = await serve(async (call) => {
    for (let index = 0; index < 300; index++) {
      const message = Buffer.alloc(64 * 1024, index & 0xff);
      message.writeUInt32BE(index, 0);
      written++;
      if (!call.write(message)) await new Promise((resolve) => call.once("drain", resolve));
      if (call.cancelled) return;
    }
    call.end();
  });
  const channel = h2Channel(target);
  try {
    const opened = await h2ServerStream(channel, "/test.Feed/Watch", Buffer.from("go"), { timeout: 30_000 });
    assert.ok(opened.ok);
    if (!opened.ok) return;
    const iterator = opened.result.messages[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.is(first.value?.readUInt32BE(0), 0);
    // Paused: the 4 MiB stream window (and the server's own buffers) bound what is written.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(written < 150, `the server wrote ${written} messages to a paused reader`);
    for (let index = 1; index < 300; index++) {
      const next = await iterator.next();
      assert.is(next.done, false);
      assert.is(next.value?.readUInt32BE(0), index);
      assert.is(next.value?.byteLength, 64 * 1024);
    }
    assert.is((await iterator.next()).done, true);
  } finally {
    channel.close();
    await stop(server);
  }
});

test("an error status after two messages: both are read, then the iteration throws the status with its metadata", async () => {
  const { target, server } = await serve((call) => {
    const head = new Metadata();
    head.set("x-feed", "one");
    call.sendMetadata(head);
    call.write(Buffer.from("a"));
    call.write(Buffer.from("b"));
    const trailer = new Metadata();
    trailer.set("x-why", "ran out");
    call.emit("error", { code: grpcStatus.NOT_FOUND, details: "no more", metadata: trailer });
  });
  const channel = h2Channel(target);
  try {
    const opened = await h2ServerStream(channel, "/test.Feed/Watch", Buffer.from("go"));
    assert.ok(opened.ok);
    if (!opened.ok) return;
    assert.equal(opened.result.headers?.get("x-feed"), ["one"]);
    const seen: string[] = [];
    let failure: unknown;
    try {
      for await (const message of opened.result.messages) seen.push(message.toString());
    } catch (error) {
      failure = error;
    }
    assert.equal(seen, ["a", "b"]);
    assert.ok(failure instanceof GatewayError);
    assert.is(opened.statuses[0]?.code, grpcStatus.NOT_FOUND);
    assert.is(opened.statuses[0]?.details, "no more");
    assert.equal(opened.statuses[0]?.metadata?.get("x-why"), ["ran out"]);
  } finally {
    channel.close();
    await stop(server);
  }
});

test("an error before any message rejects the call itself; an empty stream resolves and ends at once", async () => {
  let empty = false;
  const { target, server } = await serve((call) => {
    if (empty) {
      call.end();
      return;
    }
    call.emit("error", { code: grpcStatus.PERMISSION_DENIED, details: "not yours" });
  });
  const channel = h2Channel(target);
  try {
    const refused = await h2ServerStream(channel, "/test.Feed/Watch", Buffer.from("go"));
    assert.is(refused.ok, false);
    assert.is(refused.ok ? undefined : refused.status?.code, grpcStatus.PERMISSION_DENIED);
    empty = true;
    const opened = await h2ServerStream(channel, "/test.Feed/Watch", Buffer.from("go"));
    assert.ok(opened.ok);
    if (opened.ok) assert.is((await opened.result.messages[Symbol.asyncIterator]().next()).done, true);
  } finally {
    channel.close();
    await stop(server);
  }
});

test("the deadline ends a stream mid-way (DEADLINE_EXCEEDED after the messages in), and cancel() reaches the server", async () => {
  let cancelled = 0;
  const { target, server } = await serve((call) => {
    call.write(Buffer.from("first"));
    call.on("cancelled", () => cancelled++);
  });
  const channel = h2Channel(target);
  try {
    const timed = await h2ServerStream(channel, "/test.Feed/Watch", Buffer.from("go"), { timeout: 300 });
    assert.ok(timed.ok);
    if (!timed.ok) return;
    const seen: string[] = [];
    let failure: unknown;
    try {
      for await (const message of timed.result.messages) seen.push(message.toString());
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof GatewayError);
    assert.equal(seen, ["first"]);
    assert.is(timed.statuses[0]?.code, grpcStatus.DEADLINE_EXCEEDED);
    await waitFor(() => cancelled === 1, "the server to see the deadline");
    const opened = await h2ServerStream(channel, "/test.Feed/Watch", Buffer.from("go"), { timeout: 10_000 });
    assert.ok(opened.ok);
    if (!opened.ok) return;
    opened.result.cancel();
    await waitFor(() => cancelled === 2, "the server to see the cancel");
  } finally {
    channel.close();
    await stop(server);
  }
});

test.run();
