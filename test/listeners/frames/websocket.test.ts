import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createConnection } from "node:net";
import WebSocket from "ws";
import { validateGatewayConfig } from "../../../src/gateway/gateway-config.js";
import { builtinPlugins } from "../../../src/gateway/plugins.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { wsClient } from "../../helpers/frame-clients.js";
import { nextEvent, waitFor } from "../../helpers/wait.js";

/** WebSocket frames against a real grpc-js server: streams in every direction, cancellation, backpressure, limits. */
let grpc: TestGrpcServer;
let http: TestUpstream;
let gateway: TestGateway;
let url: string;
const bigBody = Buffer.alloc(200 * 1024, 7);

test.before(async () => {
  grpc = await startLibraryServer();
  http = await startUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(bigBody);
  });
  gateway = await startGateway({
    listeners: [
      {
        name: "ws",
        protocol: "ws",
        host: "127.0.0.1",
        port: 0,
        maxFrameBytes: "16KiB",
        highWaterBytes: "1KiB",
        maxBufferedBytes: "64KiB",
        pingInterval: "200ms",
        pingTimeout: "300ms",
        maxConnections: 20,
        handshakeTimeout: "500ms",
      },
    ],
    protos: { include: ["test/protos"] },
    services: {
      library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] },
      blobs: { protocol: "http", targets: [http.origin] },
    },
    routes: [{ id: "blob", match: { path: "/blob" }, upstream: { service: "blobs", path: "/" } }],
  });
  url = `ws://127.0.0.1:${gateway.port}/`;
});

test.after(async () => {
  await gateway.stop();
  await grpc.close();
  await http.close();
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
    assert.equal(
      frames.slice(0, 4).map((frame) => frame.body.name),
      ["shelves/1/books/1", "shelves/1/books/2", "shelves/1/books/3", "shelves/1/books/4"],
    );
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
    assert.equal(
      reply!.body.books.map((book: { name: string }) => book.name),
      ["first", "second", "third"],
    );
  } finally {
    await client.close();
  }
});

test("bidi streaming: each message sent gets its echo before the stream is half-closed", async () => {
  const client = await wsClient(url);
  try {
    client.send({ id: "b", method: "POST", path: "/v1/books:chat", stream: true });
    client.send({ id: "b", body: { name: "one" } });
    await waitFor(() => client.collector.frames.some((frame) => frame.body?.name === "echo:one"), "the echo of the first message before half-close", 2000);
    client.send({ id: "b", body: { name: "two" } });
    client.send({ id: "b", end: true });
    const frames = await client.collector.until("b");
    assert.equal(
      frames.filter((frame) => frame.body !== undefined).map((frame) => frame.body.name),
      ["echo:one", "echo:two"],
    );
    assert.is(frames.at(-1)!.status, 200);
  } finally {
    await client.close();
  }
});

test("a cancel frame cancels the upstream call; closing the socket cancels the others", async () => {
  const client = await wsClient(url);
  const before = grpc.cancelled.length;
  const slowCalls = () => grpc.calls.filter((call) => call.method === "Slow").length;
  const started = slowCalls();
  client.send({ id: "slow", method: "GET", path: "/v1/slow/5000" });
  await waitFor(() => slowCalls() > started, "the slow call to reach the upstream");
  client.send({ id: "slow", cancel: true });
  const [reply] = await client.collector.until("slow");
  assert.is(reply!.body.code, 1);
  client.send({ id: "slow2", method: "GET", path: "/v1/slow/5000" });
  await waitFor(() => slowCalls() > started + 1, "the second slow call to reach the upstream");
  await client.close();
  await waitFor(() => grpc.cancelled.length >= before + 2, "the upstream to see both calls cancelled", 2000);
});

test("bad input gets an error frame and the socket lives on: bad JSON, no id, unknown route, unopened stream", async () => {
  const client = await wsClient(url);
  try {
    client.send("{not json");
    client.send({ method: "GET", path: "/x" } as never);
    await waitFor(() => client.collector.frames.filter((frame) => frame.id === "").length >= 2, "two error frames");
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
  const closed = nextEvent(offender.socket, "close", 10_000);
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
  const [code] = await nextEvent<[number]>(socket, "close", 15_000);
  assert.is(code, 1006);
  const sockets = await Promise.all(Array.from({ length: 20 }, () => wsClient(url)));
  const refused = new WebSocket(url);
  const [, response] = await nextEvent<[unknown, import("node:http").IncomingMessage]>(refused, "unexpected-response", 10_000);
  assert.is(response.statusCode, 503);
  await Promise.all(sockets.map((client) => client.close()));
});

test("a refused upgrade whose caller never closes its side is closed by the gateway within a few seconds, and shutdown does not wait for it", async () => {
  // An http listener's upgrade path with default timeouts: nothing else would ever close the socket.
  const web = await startGateway({ listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, websocket: { path: "/ws" } }] });
  const socket = createConnection({ host: "127.0.0.1", port: web.port, allowHalfOpen: true });
  await once(socket, "connect");
  socket.write("GET /elsewhere HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n");
  let answer = "";
  socket.on("data", (chunk: Buffer) => (answer += chunk));
  await nextEvent(socket, "end", 10_000);
  assert.match(answer, /^HTTP\/1\.1 404 /);
  // The gateway has sent its FIN; once it has also let the socket go, writing to it gets a reset.
  const reset = new Promise<string>((resolve) => {
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    socket.on("close", () => resolve("closed"));
  });
  const writer = setInterval(() => socket.write("x"), 250);
  const outcome = await Promise.race([reset, new Promise<string>((resolve) => setTimeout(() => resolve("still open"), 8_000))]);
  clearInterval(writer);
  socket.destroy();
  assert.is.not(outcome, "still open");
  // A socket the gateway lost track of would also keep shutdown waiting for ever.
  const stopped = await Promise.race([web.stop(500).then(() => "stopped"), new Promise<string>((resolve) => setTimeout(() => resolve("shutdown hung"), 5_000))]);
  assert.is(stopped, "stopped");
});

test("defaults: a dead peer is gone within 40 s (pingInterval + pingTimeout) and at most 4 MiB waits for a caller that does not read", () => {
  const config = validateGatewayConfig(
    {
      listeners: [
        { name: "ws", protocol: "ws", port: 0 },
        { name: "web", protocol: "http", port: 0, websocket: {} },
      ],
    },
    builtinPlugins(),
  );
  const ws = config.listeners[0] as unknown as { pingInterval: number; pingTimeout: number; maxBufferedBytes: number };
  const upgraded = (config.listeners[1] as unknown as { websocket: typeof ws }).websocket;
  for (const options of [ws, upgraded]) {
    assert.ok(options.pingInterval + options.pingTimeout <= 40_000, `${options.pingInterval} + ${options.pingTimeout} ms`);
    assert.ok(options.maxBufferedBytes <= 4 * 1024 * 1024, `${options.maxBufferedBytes} bytes`);
  }
});

test("a raw client that completes the handshake and never answers pings is terminated after pingTimeout; one that answers stays", async () => {
  const answering = await wsClient(url);
  const socket = createConnection({ host: "127.0.0.1", port: gateway.port });
  await once(socket, "connect");
  socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let received = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const started = Date.now();
  const closed = new Promise<number>((resolve) => {
    socket.once("close", () => resolve(Date.now() - started));
    setTimeout(() => resolve(-1), 10_000);
  });
  const lasted = await closed;
  socket.destroy();
  assert.ok(lasted > 0, "the silent peer was never reaped");
  const body = received.subarray(received.indexOf("\r\n\r\n") + 4);
  assert.is(body[0], 0x89, "the gateway pinged it (an unmasked ping frame)");
  assert.ok(lasted >= 300, `reaped after ${lasted} ms, before a ping could have gone unanswered for pingTimeout`);
  // The peer that answers (ws auto-pongs) outlived it and is still served.
  assert.is(answering.socket.readyState, WebSocket.OPEN);
  assert.is((await answering.call({ id: "1", method: "GET", path: "/v1/shelves/1/books/1" }))[0]!.status, 200);
  await answering.close();
});

test("a slow upgrade request (slowloris) is closed soon after handshakeTimeout", async () => {
  const socket = createConnection({ host: "127.0.0.1", port: gateway.port });
  socket.on("error", () => {});
  await once(socket, "connect");
  const head = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  const started = Date.now();
  let lasted = -1;
  socket.once("close", () => (lasted = Date.now() - started));
  for (let sent = 0; lasted < 0 && sent < 60; sent++) {
    socket.write(head[sent % head.length]!);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  socket.destroy();
  assert.ok(lasted > 0, "still open after 6 s of a byte every 100 ms");
  assert.ok(lasted >= 400, `closed after ${lasted} ms`);
});

test("a reply frame larger than maxBufferedBytes still reaches a caller that reads", async () => {
  const client = await wsClient(url);
  try {
    const [reply] = await client.call({ id: "big", method: "GET", path: "/blob" });
    assert.is(reply!.status, 200);
    assert.equal(Buffer.from(reply!.bodyBase64, "base64"), bigBody);
  } finally {
    await client.close();
  }
});

test("plain HTTP on a ws port gets 426; a wrong path gets 404", async () => {
  const response = await fetch(`http://127.0.0.1:${gateway.port}/`);
  assert.is(response.status, 426);
  const wrong = new WebSocket(`${url}elsewhere`);
  const [, reply] = await nextEvent<[unknown, import("node:http").IncomingMessage]>(wrong, "unexpected-response", 10_000);
  assert.is(reply.statusCode, 404);
});

test.run();
