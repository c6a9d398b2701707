import { test } from "uvu";
import * as assert from "uvu/assert";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { WebSocketServer } from "ws";
import type { BenchTargetFactory, BenchTargetSpec } from "../../src/bench/bench-target.js";
import { tcpTargetFactory } from "../../src/bench/targets/tcp-target.js";
import { udpTargetFactory } from "../../src/bench/targets/udp-target.js";
import { wsTargetFactory } from "../../src/bench/targets/ws-target.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../helpers/grpc-server.js";
import { drive, driveOn, spec } from "./drive.js";

/**
 * The ws, tcp (both framings) and udp bench targets against a real Rosetta
 * gateway (its ws/tcp/udp listeners in front of a real grpc-js upstream), and
 * against frame servers of the test's own that answer out of order, close
 * connections or never answer.
 */
let grpc: TestGrpcServer;
let gateway: TestGateway;
/** The port of a bound server's address. */
const portOf = (address: unknown): number => (typeof address === "object" && address !== null && "port" in address && typeof address.port === "number" ? address.port : 0);
const port = (name: string) => gateway.gateway.listeners.find((listener) => listener.name === name)?.address().port ?? 0;

interface Kind {
  readonly name: string;
  readonly factory: BenchTargetFactory;
  readonly url: () => string;
  readonly framing?: string;
}

const kinds: readonly Kind[] = [
  { name: "ws", factory: wsTargetFactory, url: () => `ws://127.0.0.1:${port("ws")}/frames` },
  { name: "tcp ndjson", factory: tcpTargetFactory, url: () => `tcp://127.0.0.1:${port("ndjson")}` },
  { name: "tcp length-prefixed", factory: tcpTargetFactory, url: () => `tcp://127.0.0.1:${port("prefixed")}`, framing: "length-prefixed" },
  { name: "udp", factory: udpTargetFactory, url: () => `udp://127.0.0.1:${port("udp")}` },
];

const specOf = (kind: Kind, fields: Partial<BenchTargetSpec>): BenchTargetSpec =>
  spec({ protocol: kind.factory.protocol, url: kind.url(), ...(kind.framing === undefined ? {} : { framing: kind.framing }), ...fields });

test.before(async () => {
  grpc = await startLibraryServer();
  gateway = await startGateway({
    listeners: [
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0, path: "/frames" },
      { name: "ndjson", protocol: "tcp", host: "127.0.0.1", port: 0 },
      { name: "prefixed", protocol: "tcp", host: "127.0.0.1", port: 0, framing: "length-prefixed" },
      // A benchmark sends far more than the default 200 datagrams/s per source.
      { name: "udp", protocol: "udp", host: "127.0.0.1", port: 0, ratePerSource: 1_000_000 },
    ],
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] } },
  });
});

test.after(async () => {
  await gateway.stop(500);
  await grpc.close();
});

test("ws, tcp (ndjson, length-prefixed), udp through a real gateway: every request answered 200 once, many in flight per connection, bytes counted", async () => {
  for (const kind of kinds) {
    grpc.calls.length = 0;
    const target = await kind.factory.create(specOf(kind, { path: "/v1/shelves/1/books/9", inFlightPerConnection: 16 }));
    assert.is(target.inFlightPerConnection, 16, kind.name);
    try {
      const result = await drive(target, 300, 2);
      assert.equal(result.outcomes, { "200": 300 }, kind.name);
      assert.is(result.ok, 300, kind.name);
      assert.is(result.doubleDone, 0, kind.name);
      assert.ok(result.bytes > 300 * 40, `${kind.name}: ${result.bytes} bytes of reply frames`);
      assert.is(grpc.calls.filter((call) => call.method === "GetBook" && call.request.name === "shelves/1/books/9").length, 300, `${kind.name}: the upstream saw every call`);
    } finally {
      await target.close();
    }
  }
});

test("a templated JSON body reaches the upstream rendered per request", async () => {
  for (const kind of kinds) {
    grpc.calls.length = 0;
    const target = await kind.factory.create(
      specOf(kind, { method: "POST", path: "/v1/shelves/7/books", body: '{"author": "author {{seq}}", "tags": ["t{{randInt 1 3}}"]}', inFlightPerConnection: 8 }),
    );
    try {
      const result = await drive(target, 40, 1);
      assert.equal(result.outcomes, { "200": 40 }, kind.name);
      const titles = new Set(grpc.calls.map((call) => String((call.request.book as { author?: string } | undefined)?.author)));
      assert.is(titles.size, 40, `${kind.name}: 40 distinct authors`);
      assert.ok(titles.has("author 0") && titles.has("author 39"), kind.name);
    } finally {
      await target.close();
    }
  }
});

test('errors are counted by the reply\'s status, and a call past the timeout as "timeout"', async () => {
  for (const kind of kinds) {
    const missing = await kind.factory.create(specOf(kind, { path: "/v1/no/such/route" }));
    const slow = await kind.factory.create(specOf(kind, { path: "/v1/slow/3000", timeoutMs: 200, inFlightPerConnection: 4 }));
    try {
      const notFound = await drive(missing, 20, 1);
      assert.equal(notFound.outcomes, { "404": 20 }, kind.name);
      assert.is(notFound.ok, 0);
      const late = await drive(slow, 8, 2);
      assert.equal(late.outcomes, { timeout: 8 }, kind.name);
      assert.is(late.doubleDone, 0, kind.name);
    } finally {
      await missing.close();
      await slow.close();
    }
  }
});

/** Reads JSON frames (NDJSON or length-prefixed) from a socket, independently of src/frames. */
function frameReader(framing: string, onFrame: (frame: { id: string; body?: { n?: number } }) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (framing === "ndjson") {
        const newline = buffered.indexOf(10);
        if (newline < 0) return;
        onFrame(JSON.parse(buffered.subarray(0, newline).toString()));
        buffered = buffered.subarray(newline + 1);
      } else {
        if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) return;
        const length = buffered.readUInt32BE(0);
        onFrame(JSON.parse(buffered.subarray(4, 4 + length).toString()));
        buffered = buffered.subarray(4 + length);
      }
    }
  };
}

/** The reply a test server gives request n: a status that encodes n, so a mismatched id shows as a wrong outcome. */
const replyFor = (frame: { id: string; body?: { n?: number } }) => JSON.stringify({ id: frame.id, status: 200 + ((frame.body?.n ?? 0) % 7), body: { n: frame.body?.n } });

test("replies that come back in reverse order are matched to their requests by id (tcp both framings, ws, udp)", async () => {
  const batch = 10;
  const servers: Array<{ kind: string; factory: BenchTargetFactory; url: string; framing?: string; close: () => void }> = [];
  for (const framing of ["ndjson", "length-prefixed"]) {
    const server: Server = createServer((socket: Socket) => {
      const held: string[] = [];
      socket.on(
        "data",
        frameReader(framing, (frame) => {
          held.push(replyFor(frame));
          if (held.length < batch) return;
          for (const reply of held.splice(0).reverse()) {
            if (framing === "ndjson") socket.write(`${reply}\n`);
            else {
              const prefix = Buffer.alloc(4);
              prefix.writeUInt32BE(Buffer.byteLength(reply));
              socket.write(Buffer.concat([prefix, Buffer.from(reply)]));
            }
          }
        }),
      );
    }).listen(0, "127.0.0.1");
    await once(server, "listening");
    servers.push({ kind: `tcp ${framing}`, factory: tcpTargetFactory, url: `tcp://127.0.0.1:${portOf(server.address())}`, framing, close: () => server.close() });
  }
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(wss, "listening");
  wss.on("connection", (socket) => {
    const held: string[] = [];
    socket.on("message", (data) => {
      held.push(replyFor(JSON.parse(String(data))));
      if (held.length === batch) for (const reply of held.splice(0).reverse()) socket.send(reply);
    });
  });
  servers.push({ kind: "ws", factory: wsTargetFactory, url: `ws://127.0.0.1:${portOf(wss.address())}/`, close: () => wss.close() });
  const udp: UdpSocket = createSocket("udp4");
  udp.bind(0, "127.0.0.1");
  await once(udp, "listening");
  const heldUdp: Array<{ reply: string; port: number }> = [];
  udp.on("message", (bytes, from) => {
    heldUdp.push({ reply: replyFor(JSON.parse(bytes.toString())), port: from.port });
    if (heldUdp.length === batch) for (const { reply, port: to } of heldUdp.splice(0).reverse()) udp.send(reply, to, "127.0.0.1");
  });
  servers.push({ kind: "udp", factory: udpTargetFactory, url: `udp://127.0.0.1:${udp.address().port}`, close: () => udp.close() });
  try {
    for (const server of servers) {
      const target = await server.factory.create(
        spec({
          protocol: server.factory.protocol,
          url: server.url,
          path: "/n",
          body: '{"n": {{seq}}}',
          inFlightPerConnection: batch,
          ...(server.framing === undefined ? {} : { framing: server.framing }),
        }),
      );
      try {
        const result = await drive(target, 5 * batch, 1);
        for (const [sequence, outcome] of result.bySequence) assert.is(outcome, String(200 + (sequence % 7)), `${server.kind}: request ${sequence}`);
        assert.is(result.bySequence.size, 5 * batch, server.kind);
        assert.is(result.order[0], batch - 1, `${server.kind}: the last of the first batch was answered first`);
      } finally {
        await target.close();
      }
    }
  } finally {
    for (const server of servers) server.close();
  }
});

test('a server that drops the connection ends the calls in flight ("closed" or the errno) and every later send; close() ends calls as "closed"', async () => {
  const server = createServer((socket: Socket) => socket.once("data", () => socket.destroy())).listen(0, "127.0.0.1");
  await once(server, "listening");
  const tcpPort = portOf(server.address());
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(wss, "listening");
  wss.on("connection", (socket) => socket.once("message", () => socket.terminate()));
  try {
    for (const [factory, url] of [
      [tcpTargetFactory, `tcp://127.0.0.1:${tcpPort}`],
      [wsTargetFactory, `ws://127.0.0.1:${portOf(wss.address())}/`],
    ] as const) {
      const target = await factory.create(spec({ protocol: factory.protocol, url, path: "/x", inFlightPerConnection: 8 }));
      try {
        const result = await drive(target, 30, 1);
        assert.is(result.ok, 0);
        assert.is(result.doubleDone, 0);
        for (const outcome of Object.keys(result.outcomes)) assert.match(outcome, /^(closed|E[A-Z]+)$/, `${factory.protocol}: ${JSON.stringify(result.outcomes)}`);
      } finally {
        await target.close();
      }
    }
    // The caller's own close: calls in flight on a server that holds them end as "closed".
    const quiet = createServer(() => undefined).listen(0, "127.0.0.1");
    await once(quiet, "listening");
    const target = await tcpTargetFactory.create(spec({ protocol: "tcp", url: `tcp://127.0.0.1:${portOf(quiet.address())}`, inFlightPerConnection: 5 }));
    const connection = await target.connect();
    const pending = driveOn([connection], 5, 5, 5000);
    connection.close();
    assert.equal((await pending).outcomes, { closed: 5 });
    await target.close();
    quiet.close();
  } finally {
    server.close();
    wss.close();
  }
});

test('udp: a datagram nobody answers is a "timeout"; requests are padded to padBytes', async () => {
  const silent = createSocket("udp4");
  silent.bind(0, "127.0.0.1");
  await once(silent, "listening");
  const sizes: number[] = [];
  silent.on("message", (bytes) => sizes.push(bytes.length));
  try {
    const target = await udpTargetFactory.create(spec({ protocol: "udp", url: `udp://127.0.0.1:${silent.address().port}`, timeoutMs: 150, padBytes: 700, inFlightPerConnection: 6 }));
    try {
      const result = await drive(target, 12, 2);
      assert.equal(result.outcomes, { timeout: 12 });
      assert.is(sizes.length, 12);
      assert.ok(
        sizes.every((size) => size === 700),
        `datagram sizes ${sizes.join(",")}`,
      );
    } finally {
      await target.close();
    }
  } finally {
    silent.close();
  }
});

test("a target that cannot be reached fails connect() with the errno", async () => {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const closedPort = portOf(server.address());
  await new Promise((resolve) => server.close(resolve));
  for (const [factory, url] of [
    [tcpTargetFactory, `tcp://127.0.0.1:${closedPort}`],
    [wsTargetFactory, `ws://127.0.0.1:${closedPort}/`],
  ] as const) {
    const target = await factory.create(spec({ protocol: factory.protocol, url }));
    try {
      await target.connect();
      assert.unreachable("connected");
    } catch (error) {
      assert.match(String(error), "ECONNREFUSED");
    } finally {
      await target.close();
    }
  }
});

test("bad specs are precise errors at create()", async () => {
  const cases: Array<[BenchTargetFactory, Partial<BenchTargetSpec> & { url: string }, RegExp]> = [
    [tcpTargetFactory, { url: "tcp://127.0.0.1:1", framing: "line" }, /framing must be "ndjson" or "length-prefixed", not "line"/],
    [tcpTargetFactory, { url: "http://127.0.0.1:1" }, /the scheme must be tcp:, not http:/],
    [tcpTargetFactory, { url: "tcp://127.0.0.1" }, /names no port/],
    [wsTargetFactory, { url: "ws://127.0.0.1:1/", method: "GE T" }, /method must be an HTTP method/],
    [wsTargetFactory, { url: "ws://127.0.0.1:1/", path: "v1/x" }, /path must start with "\/"/],
    [udpTargetFactory, { url: "udp://127.0.0.1:1", body: "not json" }, /the body must be JSON/],
    [udpTargetFactory, { url: "udp://127.0.0.1:1", padBytes: 70_000 }, /padBytes must be 0–65507/],
    [udpTargetFactory, { url: "udp://127.0.0.1:1", inFlightPerConnection: 0 }, /in flight per connection must be a whole number ≥ 1/],
  ];
  for (const [factory, fields, expected] of cases) {
    try {
      await factory.create(spec({ protocol: factory.protocol, ...fields }));
      assert.unreachable(`${JSON.stringify(fields)} was accepted`);
    } catch (error) {
      assert.match(String(error), expected);
    }
  }
  // Text bodies with a content-type go as strings, no JSON needed.
  await (await udpTargetFactory.create(spec({ protocol: "udp", url: "udp://127.0.0.1:1", body: "<a/>", headers: { "Content-Type": "application/xml" } }))).close();
});

test.run();
