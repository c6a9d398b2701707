import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConnection, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";
import { tcpClient, udpExchange, wsClient } from "../../helpers/frame-clients.js";
import { startGatewayProcess, type GatewayProcess } from "./gateway-process.js";

/**
 * Abuse of the framed listeners with raw sockets: each stage of a
 * connection (before the head, mid-handshake, after the upgrade, mid-frame,
 * mid-reply, after a refusal) is cut with a TCP reset, twenty times over,
 * against a gateway in a child process with real upstreams. The process
 * must live and the next caller must be served.
 */
let grpc: TestGrpcServer;
let http: TestUpstream;
let gateway: GatewayProcess;
const repeat = 20;
const port = (name: string) => gateway.ports[name]!;
const bigReply = JSON.stringify({ rows: "x".repeat(2 * 1024 * 1024) });

test.before(async () => {
  grpc = await startLibraryServer();
  http = await startUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(bigReply);
  });
  const ws = { maxFrameBytes: "16KiB", maxReplyBytes: "4MiB" };
  gateway = await startGatewayProcess({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0, websocket: { path: "/frames", ...ws } },
      { name: "web-full", protocol: "http", host: "127.0.0.1", port: 0, websocket: { path: "/frames", maxConnections: 1 } },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0, ...ws },
      { name: "ws-full", protocol: "ws", host: "127.0.0.1", port: 0, maxConnections: 1 },
      { name: "ndjson", protocol: "tcp", host: "127.0.0.1", port: 0, maxFrameBytes: "16KiB" },
      { name: "prefixed", protocol: "tcp", host: "127.0.0.1", port: 0, framing: "length-prefixed", maxFrameBytes: "16KiB" },
      { name: "tcp-full", protocol: "tcp", host: "127.0.0.1", port: 0, maxConnections: 1 },
      { name: "udp", protocol: "udp", host: "127.0.0.1", port: 0, maxFrameBytes: "16KiB", ratePerSource: 100_000 },
    ],
    protos: { include: ["test/protos"] },
    services: {
      library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] },
      big: { protocol: "http", targets: [http.origin] },
    },
    routes: [{ id: "big", match: { path: "/big" }, upstream: { service: "big", path: "/" } }],
  });
});

test.after(async () => {
  await gateway.stop();
  await grpc.close();
  await http.close();
});

const book = { id: "b", method: "GET", path: "/v1/shelves/1/books/1" };
const stream = { id: "s", method: "GET", path: "/v1/shelves/1/books:stream?pageSize=100000" };
const slow = { id: "w", method: "GET", path: "/v1/slow/100" };
const big = { id: "g", method: "GET", path: "/big" };
// An opening stream frame whose first message is not JSON: refused, never thrown.
const badStream = { id: "m", method: "POST", path: "/v1/books:collect", stream: true, bodyBase64: Buffer.from("{not json").toString("base64") };

async function connect(name: string): Promise<Socket> {
  const socket = createConnection({ host: "127.0.0.1", port: port(name) });
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

/** Reads until `enough` says so (or the peer closes), within 5 s. */
async function readUntil(socket: Socket, enough: (received: Buffer) => boolean): Promise<Buffer> {
  let received = Buffer.alloc(0);
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (enough(received)) finish();
    });
    socket.once("close", finish);
  });
  await done;
  return received;
}

function reset(socket: Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

/** Runs `stage` `repeat` times, each on new sockets, all at once (resets race the server's writes). */
async function abuse(stage: () => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: repeat }, stage));
}

/**
 * Waits for a probe call that ends after everything the abuse started (the
 * same upstream delay as the slowest call, started later, behind the resets
 * already sent): a crash the resets or the late replies cause has happened by then.
 */
async function assertAlive(what: string): Promise<void> {
  let probe: string;
  try {
    const client = await tcpClient(port("ndjson"));
    // A gateway that crashes resets the probe: that is a failed probe, not an error of this process.
    client.socket.on("error", () => {});
    try {
      const frames = await client.call({ ...slow, id: "probe" });
      probe = String(frames.at(-1)?.status);
    } finally {
      client.close();
    }
  } catch (error) {
    probe = String(error);
  }
  assert.is(gateway.exited(), null, `the gateway died after ${what}: ${gateway.stderr()}`);
  assert.is(probe, "200", `the probe after ${what}`);
}

// ---- WebSocket -------------------------------------------------------------

const upgradeHead = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** A client WebSocket frame (masked, as RFC 6455 requires of clients). */
function wsFrame(payload: Buffer | string, opcode = 1, declared?: number): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const length = declared ?? data.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, 0x80 | length]) : Buffer.alloc(8);
  if (length >= 126) {
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(Math.min(length, 0xffff), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.from(data.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([length >= 126 ? header.subarray(0, 4) : header, mask, masked]);
}

const upgraded = (received: Buffer) => received.includes("\r\n\r\n");

async function wsStage(name: string, act: (socket: Socket) => Promise<void>): Promise<void> {
  const socket = await connect(name);
  try {
    await act(socket);
  } finally {
    reset(socket);
  }
}

/** Every stage of a WebSocket's life, cut by a reset, on listener `name` whose endpoint is at `path`. */
async function abuseWebSocket(name: string, full: string, path: string): Promise<void> {
  const afterUpgrade = async (socket: Socket, then: (socket: Socket) => Promise<void> | void) => {
    socket.write(upgradeHead(path));
    const head = await readUntil(socket, upgraded);
    assert.match(head.toString(), "101 Switching Protocols");
    await then(socket);
  };
  const stages: Record<string, (socket: Socket) => Promise<void>> = {
    "before the head": async () => {},
    "mid-head": async (socket) => void socket.write(upgradeHead(path).slice(0, 40)),
    "mid-handshake (the 101 being written)": async (socket) => void socket.write(upgradeHead(path)),
    "after the upgrade": (socket) => afterUpgrade(socket, () => {}),
    "mid-frame": (socket) => afterUpgrade(socket, (s) => void s.write(wsFrame(JSON.stringify(book)).subarray(0, 12))),
    "with calls in flight": (socket) => afterUpgrade(socket, (s) => void s.write(Buffer.concat([wsFrame(JSON.stringify(slow)), wsFrame(JSON.stringify(book))]))),
    "mid-reply (a gRPC server stream)": (socket) =>
      afterUpgrade(socket, async (s) => {
        s.write(wsFrame(JSON.stringify(stream)));
        await readUntil(s, (received) => received.length > 2000);
      }),
    "mid-reply (a 2 MiB HTTP reply)": (socket) =>
      afterUpgrade(socket, async (s) => {
        s.write(wsFrame(JSON.stringify(big)));
        await readUntil(s, (received) => received.length > 1000);
      }),
    "after a frame over maxFrameBytes (1009)": (socket) => afterUpgrade(socket, (s) => void s.write(wsFrame("x".repeat(100), 1, 60_000))),
    "after invalid UTF-8 in a text frame": (socket) => afterUpgrade(socket, (s) => void s.write(wsFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])))),
    "after an unmasked frame and a bad opcode": (socket) => afterUpgrade(socket, (s) => void s.write(Buffer.from([0x83, 0x01, 0x00]))),
    "after a stream frame whose message is not JSON": (socket) =>
      afterUpgrade(socket, async (s) => {
        s.write(wsFrame(JSON.stringify(badStream)));
        await readUntil(s, (received) => received.includes('"m"'));
      }),
    "after a refusal (wrong path, 404)": async (socket) => void socket.write(upgradeHead(`${path}elsewhere`)),
    "after a refusal, read (wrong path, 404)": async (socket) => {
      socket.write(upgradeHead(`${path}elsewhere`));
      await readUntil(socket, upgraded);
    },
  };
  for (const [stage, act] of Object.entries(stages)) {
    await abuse(() => wsStage(name, act));
    await assertAlive(`${name}: a reset ${stage}`);
  }
  // Over maxConnections: one connection holds the only place, the others are refused with 503.
  const holder = await wsClient(`ws://127.0.0.1:${port(full)}${path}`);
  await abuse(() => wsStage(full, async (socket) => void socket.write(upgradeHead(path))));
  await abuse(() =>
    wsStage(full, async (socket) => {
      socket.write(upgradeHead(path));
      assert.match((await readUntil(socket, upgraded)).toString(), "503");
    }),
  );
  await holder.close();
  await assertAlive(`${full}: resets after a refusal over maxConnections`);
  const client = await wsClient(`ws://127.0.0.1:${port(name)}${path}`);
  try {
    const [reply] = await client.call(book);
    assert.is(reply!.status, 200, "a caller after the abuse is served");
  } finally {
    await client.close();
  }
}

test("ws listener: resets at every stage never crash the process; the next caller is served", async () => {
  await abuseWebSocket("ws", "ws-full", "/");
});

test("ws on an http listener's websocket.path: resets at every stage never crash the process; the next caller is served", async () => {
  await abuseWebSocket("web", "web-full", "/frames");
});

// ---- TCP -------------------------------------------------------------------

type Framer = (frame: object | string) => Buffer;
const ndjson: Framer = (frame) => Buffer.from(`${typeof frame === "string" ? frame : JSON.stringify(frame)}\n`);
const prefixed: Framer = (frame) => {
  const payload = Buffer.from(typeof frame === "string" ? frame : JSON.stringify(frame));
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
};

async function abuseTcp(name: string, frame: Framer): Promise<void> {
  const stages: Record<string, (socket: Socket) => Promise<void>> = {
    "at once": async () => {},
    "mid-frame": async (socket) => void socket.write(frame(book).subarray(0, 10)),
    "with calls in flight": async (socket) => void socket.write(Buffer.concat([frame(slow), frame(book), frame(big)])),
    "mid-reply (a gRPC server stream)": async (socket) => {
      socket.write(frame(stream));
      await readUntil(socket, (received) => received.length > 2000);
    },
    "mid-reply (a 2 MiB HTTP reply)": async (socket) => {
      socket.write(frame(big));
      await readUntil(socket, (received) => received.length > 1000);
    },
    "after garbage": async (socket) => void socket.write(frame(randomBytes(200).toString("latin1"))),
    "after a stream frame whose message is not JSON": async (socket) => {
      socket.write(frame(badStream));
      await readUntil(socket, (received) => received.includes('"m"'));
    },
    "after an oversized frame (413 and close)": async (socket) => void socket.write(name === "ndjson" ? Buffer.alloc(20_000, 0x78) : Buffer.from([0, 1, 0, 0, 1])),
    "after half-closing with calls in flight": async (socket) => {
      socket.end(Buffer.concat([frame(slow), frame(big)]));
      // Reset once replies are being written: the calls are in flight.
      await readUntil(socket, (received) => received.length > 0);
    },
  };
  for (const [stage, act] of Object.entries(stages)) {
    await abuse(async () => {
      const socket = await connect(name);
      try {
        await act(socket);
      } finally {
        reset(socket);
      }
    });
    await assertAlive(`${name}: a reset ${stage}`);
  }
}

test("tcp ndjson: resets at every stage never crash the process; the next caller is served", async () => {
  await abuseTcp("ndjson", ndjson);
  const client = await tcpClient(port("ndjson"));
  assert.is((await client.call(book))[0]!.status, 200);
  client.close();
});

test("tcp length-prefixed: resets at every stage never crash the process; the next caller is served", async () => {
  await abuseTcp("prefixed", prefixed);
  const socket = await connect("prefixed");
  socket.write(prefixed(book));
  const reply = await readUntil(socket, (received) => received.length >= 4 && received.length >= 4 + received.readUInt32BE(0));
  assert.is(JSON.parse(reply.subarray(4).toString()).status, 200);
  socket.destroy();
});

test("tcp over maxConnections: resets of the dropped connections never crash the process", async () => {
  const holder = await tcpClient(port("tcp-full"));
  await abuse(async () => {
    const socket = await connect("tcp-full");
    socket.write(ndjson(book));
    reset(socket);
  });
  await assertAlive("tcp: resets over maxConnections");
  assert.is((await holder.call(book))[0]!.status, 200, "the connection holding the place is served");
  holder.close();
});

// ---- UDP -------------------------------------------------------------------

/** Sends datagrams from a socket that is closed at once, so the replies meet ICMP port unreachable. */
async function sendAndVanish(datagrams: Buffer[]): Promise<void> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  await Promise.all(datagrams.map((datagram) => new Promise((resolve) => socket.send(datagram, port("udp"), "127.0.0.1", resolve))));
  socket.close();
}

test("udp: garbage, oversized, empty datagrams and replies to closed ports never crash the process; the next caller is served", async () => {
  const pad = " ".repeat(4000);
  const datagrams = [
    Buffer.alloc(0),
    randomBytes(1000),
    Buffer.alloc(60_000, 0x78),
    Buffer.from(JSON.stringify({ ...book, pad })),
    Buffer.from(JSON.stringify({ ...stream, pad })),
    Buffer.from(JSON.stringify({ ...big, pad })),
    Buffer.from(JSON.stringify({ ...badStream, pad })),
    Buffer.from(JSON.stringify({ ...slow, pad })),
  ];
  for (let round = 0; round < repeat; round++) await sendAndVanish(datagrams);
  // The replies (and the ICMP errors they cause) arrive after the senders are gone: the probe waits for them.
  await assertAlive("udp abuse");
  const [reply] = await udpExchange(port("udp"), JSON.stringify({ ...book, pad }));
  assert.is(JSON.parse(reply!.toString()).status, 200);
});

test.run();
