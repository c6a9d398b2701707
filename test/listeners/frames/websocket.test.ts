import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import WebSocket from "ws";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { wsClient } from "../../helpers/frame-clients.js";

/** WebSocket frames against a real grpc-js server: streams in every direction, cancellation, backpressure, limits. */
let grpc: TestGrpcServer;
let gateway: TestGateway;
let url: string;

test.before(async () => {
  grpc = await startLibraryServer();
  gateway = await startGateway({
    listeners: [{ name: "ws", protocol: "ws", host: "127.0.0.1", port: 0, maxFrameBytes: "16KiB", highWaterBytes: "1KiB", maxBufferedBytes: "64KiB", pingInterval: "200ms", maxConnections: 20 }],
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] } },
  });
  url = `ws://127.0.0.1:${gateway.port}/`;
});

test.after(async () => {
  await gateway.stop();
  await grpc.close();
});

test("many calls in flight on one socket, each reply matched by its id", async () => {
  const client = await wsClient(url);
  try {
    const ids = Array.from({ length: 20 }, (_, index) => String(index));
    const replies = await Promise.all(ids.map((id) => client.call({ id, method: "GET", path: `/v1/shelves/1/books/${id}` })));
    replies.forEach((frames, index) => {
      assert.is(frames.length, 1);
      assert.is(frames[0]!.status, 200);
      assert.is(frames[0]!.body.name, `shelves/1/books/${index}`);
    });
  } finally {
    await client.close();
  }
});

test("a server stream arrives as data frames, then a final frame with the status", async () => {
  const client = await wsClient(url);
  try {
    const frames = await client.call({ id: "s", method: "GET", path: "/v1/shelves/1/books:stream?pageSize=4" });
    assert.is(frames.length, 5);
    assert.equal(frames.slice(0, 4).map((frame) => frame.body.name), ["shelves/1/books/1", "shelves/1/books/2", "shelves/1/books/3", "shelves/1/books/4"]);
    assert.ok(frames.slice(0, 4).every((frame) => frame.status === undefined));
    assert.is(frames[4]!.status, 200);
  } finally {
    await client.close();
  }
});

test("a client stream is opened by a frame, fed by frames with its id, and half-closed by an end frame", async () => {
  const client = await wsClient(url);
  try {
    client.send({ id: "c", method: "POST", path: "/v1/books:collect", stream: true, body: { name: "first" } });
    client.send({ id: "c", body: { name: "second" } });
    client.send({ id: "c", body: { name: "third" } });
    client.send({ id: "c", end: true });
    const [reply] = await client.collector.until("c");
    assert.is(reply!.status, 200);
    assert.equal(reply!.body.books.map((book: { name: string }) => book.name), ["first", "second", "third"]);
  } finally {
    await client.close();
  }
});

test("bidi streaming: each message sent gets its echo before the stream is half-closed", async () => {
  const client = await wsClient(url);
  try {
    client.send({ id: "b", method: "POST", path: "/v1/books:chat", stream: true });
    client.send({ id: "b", body: { name: "one" } });
    for (let waited = 0; !client.collector.frames.some((frame) => frame.body?.name === "echo:one"); waited++) {
      assert.ok(waited < 100, "no echo before half-close");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    client.send({ id: "b", body: { name: "two" } });
    client.send({ id: "b", end: true });
    const frames = await client.collector.until("b");
    assert.equal(frames.filter((frame) => frame.body !== undefined).map((frame) => frame.body.name), ["echo:one", "echo:two"]);
    assert.is(frames.at(-1)!.status, 200);
  } finally {
    await client.close();
  }
});

test("a cancel frame cancels the upstream call; closing the socket cancels the others", async () => {
  const client = await wsClient(url);
  const before = grpc.cancelled.length;
  client.send({ id: "slow", method: "GET", path: "/v1/slow/5000" });
  await new Promise((resolve) => setTimeout(resolve, 100));
  client.send({ id: "slow", cancel: true });
  const [reply] = await client.collector.until("slow");
  assert.is(reply!.body.code, 1);
  client.send({ id: "slow2", method: "GET", path: "/v1/slow/5000" });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await client.close();
  for (let waited = 0; grpc.cancelled.length < before + 2; waited++) {
    assert.ok(waited < 100, `upstream saw ${grpc.cancelled.length - before} cancellations`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

test("bad input gets an error frame and the socket lives on: bad JSON, no id, unknown route, unopened stream", async () => {
  const client = await wsClient(url);
  try {
    client.send("{not json");
    client.send({ method: "GET", path: "/x" } as never);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const errors = client.collector.frames.filter((frame) => frame.id === "");
    assert.is(errors.length, 2);
    assert.ok(errors.every((frame) => frame.status === 400 && frame.body.code === 3));
    assert.match(errors[0]!.body.message, "not valid JSON");
    assert.match(errors[1]!.body.message, '"id"');
    const [unknown] = await client.call({ id: "u", method: "GET", path: "/nowhere" });
    assert.is(unknown!.status, 404);
    const [unopened] = await client.call({ id: "z", body: { name: "x" } });
    assert.is(unopened!.status, 400);
    assert.match(unopened!.body.message, "no client stream");
    const [fine] = await client.call({ id: "ok", method: "GET", path: "/v1/shelves/1/books/1" });
    assert.is(fine!.status, 200);
  } finally {
    await client.close();
  }
});

test("a message over maxFrameBytes closes only that socket (1009), others keep working", async () => {
  const bystander = await wsClient(url);
  const offender = await wsClient(url);
  const closed = once(offender.socket, "close");
  offender.send({ id: "big", method: "POST", path: "/v1/books:collect", body: { name: "x".repeat(20_000) } });
  const [code] = (await closed) as [number];
  assert.is(code, 1009);
  const [reply] = await bystander.call({ id: "1", method: "GET", path: "/v1/shelves/1/books/1" });
  assert.is(reply!.status, 200);
  await bystander.close();
});

test("a client that never reads pauses its stream upstream and is cut off past maxBufferedBytes", async () => {
  const bystander = await wsClient(url);
  const socket = new WebSocket(url);
  await once(socket, "open");
  // Stop reading from the TCP socket under the WebSocket: replies pile up in the gateway.
  (socket as unknown as { _socket: import("node:net").Socket })._socket.pause();
  socket.send(JSON.stringify({ id: "flood", method: "GET", path: "/v1/shelves/1/books:stream?pageSize=100000" }));
  const started = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [reply] = await bystander.call({ id: String(Date.now()), method: "GET", path: "/v1/shelves/1/books/1" });
    assert.is(reply!.status, 200);
    if (grpc.cancelled.includes("StreamBooks")) break;
    assert.ok(Date.now() - started < 15_000, "the stalled stream was never stopped");
  }
  socket.terminate();
  await bystander.close();
});

test("a connection that stops answering pings is reaped; maxConnections is enforced with 503", async () => {
  const socket = new WebSocket(url, { autoPong: false } as never);
  await once(socket, "open");
  const [code] = (await once(socket, "close")) as [number];
  assert.is(code, 1006);
  const sockets = await Promise.all(Array.from({ length: 20 }, () => wsClient(url)));
  const refused = new WebSocket(url);
  const [, response] = (await once(refused, "unexpected-response")) as [unknown, import("node:http").IncomingMessage];
  assert.is(response.statusCode, 503);
  await Promise.all(sockets.map((client) => client.close()));
});

test("plain HTTP on a ws port gets 426; a wrong path gets 404", async () => {
  const response = await fetch(`http://127.0.0.1:${gateway.port}/`);
  assert.is(response.status, 426);
  const wrong = new WebSocket(`${url}elsewhere`);
  const [, reply] = (await once(wrong, "unexpected-response")) as [unknown, import("node:http").IncomingMessage];
  assert.is(reply.statusCode, 404);
});

test.run();
