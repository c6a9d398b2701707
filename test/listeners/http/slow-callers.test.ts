import { suite } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { rawRequest } from "../../helpers/raw-http.js";

/** A real upstream that notes when each request head arrived, and what it received. */
interface Arrival {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly headAt: number;
  body: Buffer | undefined;
}

interface Context {
  upstream: Server;
  arrivals: Arrival[];
  onArrival: (() => void) | undefined;
  gateway: TestGateway;
}

const slow = suite<Context>("http listener: slow callers");

slow.before(async (context) => {
  context.arrivals = [];
  context.upstream = createServer((req, res) => {
    const arrival: Arrival = { url: req.url!, headers: req.headers, headAt: performance.now(), body: undefined };
    context.arrivals.push(arrival);
    context.onArrival?.();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => {});
    req.on("end", () => {
      arrival.body = Buffer.concat(chunks);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ bytes: arrival.body.byteLength }));
    });
  }).listen(0, "127.0.0.1");
  await once(context.upstream, "listening");
  const origin = `http://127.0.0.1:${(context.upstream.address() as { port: number }).port}`;
  context.gateway = await startGateway({
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, bufferBodyBytes: "1KiB", bodyIdleTimeout: "1s", headersTimeout: "1s" }],
    services: { echo: { protocol: "http", targets: [origin] } },
    routes: [{ id: "all", upstream: { service: "echo" } }],
  });
});

slow.after(async ({ gateway, upstream }) => {
  await gateway.stop();
  upstream.closeAllConnections();
  upstream.close();
});

slow.before.each((context) => {
  context.arrivals.length = 0;
  context.onArrival = undefined;
});

async function open(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

/** Everything the gateway sends until it closes (bounded). */
function readAll(socket: Socket, timeoutMs = 5000): Promise<string> {
  let data = "";
  socket.on("data", (chunk: Buffer) => (data += chunk.toString("latin1")));
  const all = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection was still open after ${timeoutMs} ms; got ${JSON.stringify(data.slice(0, 200))}`));
    }, timeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
  // A test that fails before awaiting it must not leave an unhandled rejection behind.
  all.catch(() => {});
  return all;
}

slow("a small body trickling in reaches the upstream only after its last byte", async ({ gateway, arrivals }) => {
  const socket = await open(gateway.port);
  const answer = readAll(socket);
  socket.write("POST /trickle HTTP/1.1\r\nhost: a\r\ncontent-length: 6\r\nconnection: close\r\n\r\nabc");
  // Long enough for a streaming gateway to have opened the upstream call (less than bodyIdleTimeout).
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.is(arrivals.length, 0, "the upstream was called while the body was still arriving");
  const lastByteAt = performance.now();
  socket.write("def");
  const text = await answer;
  assert.match(text, /^HTTP\/1\.1 200/);
  assert.is(arrivals.length, 1);
  assert.ok(arrivals[0]!.headAt >= lastByteAt, "the upstream call started before the last body byte");
  assert.is(arrivals[0]!.body!.toString(), "abcdef");
});

slow("a small chunked body reaches the upstream whole, with its Content-Length", async ({ gateway, arrivals }) => {
  const response = await rawRequest(gateway.port, "POST /chunked HTTP/1.1\r\nhost: a\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  assert.is(response.status, 200);
  assert.is(arrivals[0]!.headers["content-length"], "5");
  assert.is(arrivals[0]!.headers["transfer-encoding"], undefined);
  assert.is(arrivals[0]!.body!.toString(), "abcde");
});

slow("a body that stops for bodyIdleTimeout → 408 in the status shape, connection closed, upstream never called", async ({ gateway, arrivals }) => {
  const socket = await open(gateway.port);
  const answer = readAll(socket);
  socket.write("POST /idle HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\nabcde");
  const text = await answer;
  assert.match(text, /^HTTP\/1\.1 408/);
  assert.match(text, /\r\nconnection: close\r\n/i);
  const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as { code: number; message: string };
  assert.is(body.code, 4);
  assert.match(body.message, "no request body bytes arrived for 1000 ms");
  assert.is(arrivals.length, 0);
});

slow("a body larger than bufferBodyBytes still streams: the upstream sees it before its end", async (context) => {
  const { gateway, arrivals } = context;
  const socket = await open(gateway.port);
  const answer = readAll(socket);
  const arrived = new Promise<void>((resolve) => (context.onArrival = resolve));
  socket.write(`POST /large HTTP/1.1\r\nhost: a\r\ncontent-length: 100000\r\nconnection: close\r\n\r\n${"a".repeat(50_000)}`);
  await arrived;
  assert.is(arrivals[0]!.body, undefined, "the upstream already has the whole body");
  socket.write("b".repeat(50_000));
  const text = await answer;
  assert.match(text, /^HTTP\/1\.1 200/);
  assert.match(text, '{"bytes":100000}');
});

slow("a body that would pass the listener's bodyBufferBytes streams; one that fits waits whole", async (context) => {
  const { arrivals, upstream } = context;
  const origin = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  const gateway = await startGateway({
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, bufferBodyBytes: "64KiB", bodyBufferBytes: "10KiB" }],
    services: { echo: { protocol: "http", targets: [origin] } },
    routes: [{ id: "all", upstream: { service: "echo" } }],
  });
  try {
    const holder = await open(gateway.port);
    const held = readAll(holder);
    // Budgets are charged as bytes arrive: the holder has 8000 of its 9000 bytes in.
    holder.write(`POST /fits HTTP/1.1\r\nhost: a\r\ncontent-length: 9000\r\nconnection: close\r\n\r\n${"a".repeat(8000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const streamer = await open(gateway.port);
    const streamed = readAll(streamer);
    const arrived = new Promise<void>((resolve) => (context.onArrival = resolve));
    streamer.write(`POST /no-room HTTP/1.1\r\nhost: a\r\ncontent-length: 8000\r\nconnection: close\r\n\r\n${"b".repeat(4000)}`);
    await arrived;
    assert.equal(
      arrivals.map((arrival) => arrival.url),
      ["/no-room"],
      "only the body without room streamed before its end",
    );
    assert.is(arrivals[0]!.body, undefined);
    streamer.write("b".repeat(4000));
    holder.write("a".repeat(1000));
    assert.match(await streamed, '{"bytes":8000}');
    assert.match(await held, '{"bytes":9000}');
  } finally {
    await gateway.stop();
  }
});

slow("a streamed body that stops for bodyIdleTimeout → 408 and the connection closes", async (context) => {
  const { gateway } = context;
  const socket = await open(gateway.port);
  const answer = readAll(socket);
  socket.write(`POST /large-idle HTTP/1.1\r\nhost: a\r\ncontent-length: 100000\r\n\r\n${"a".repeat(50_000)}`);
  const text = await answer;
  assert.match(text, /^HTTP\/1\.1 408/);
  assert.match(text, "no request body bytes arrived for 1000 ms");
});

slow("a head sent slowly is answered 408 and closed within headersTimeout + 1 s", async ({ gateway, arrivals }) => {
  const socket = await open(gateway.port);
  const started = performance.now();
  const answer = readAll(socket, 6000);
  socket.write("GET /slowloris HTTP/1.1\r\nhost: a\r\n");
  // A header line every 200 ms, for at most 5 s: never a complete head.
  let sent = 0;
  const trickle = setInterval(() => {
    if (socket.destroyed || ++sent > 25) clearInterval(trickle);
    else socket.write(`x-${sent}: 1\r\n`);
  }, 200);
  socket.once("end", () => socket.destroy());
  try {
    const text = await answer;
    const elapsed = performance.now() - started;
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.ok(elapsed < 2000, `closed after ${Math.round(elapsed)} ms; the limit is 1000 ms`);
    assert.is(arrivals.length, 0);
  } finally {
    clearInterval(trickle);
  }
});

slow.run();
