import { test } from "uvu";
import * as assert from "uvu/assert";
import { HpackDecoder } from "../../../src/endpoints/grpc/h2/hpack-decoder.js";
import { h2Call, h2Channel, failed, succeeded } from "../../helpers/h2-client.js";
import { grpcMessage, h2Frame, rawH2Server, type RawFrame } from "../../helpers/raw-h2-server.js";
import type { Socket } from "node:net";

/** Rosetta's HTTP/2 client against hand-written servers: what real servers never send. */

const SETTINGS = 4;
const HEADERS = 1;
const DATA = 0;
const END_STREAM = 1;
const END_HEADERS = 4;
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

/** Sends the server SETTINGS at once; acknowledges none (the client does not need it). */
const greet = (socket: Socket) => socket.write(h2Frame(SETTINGS, 0, 0));

/** Answers each request HEADERS with `answer(streamId)` frames. */
const onRequest = (answer: (streamId: number) => Buffer[]) => (socket: Socket, frame: RawFrame) => {
  if (frame.type === HEADERS) for (const bytes of answer(frame.streamId)) socket.write(bytes);
};

test("HPACK decoder: the RFC 7541 C.4 request examples (Huffman, dynamic table across blocks)", () => {
  const decoder = new HpackDecoder();
  assert.equal(decoder.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")), [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"]);
  assert.equal(decoder.decode(hex("8286 84be 5886 a8eb 1064 9cbf")), [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com", "cache-control", "no-cache"]);
  assert.equal(decoder.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")), [
    ":method",
    "GET",
    ":scheme",
    "https",
    ":path",
    "/index.html",
    ":authority",
    "www.example.com",
    "custom-key",
    "custom-value",
  ]);
});

test("HPACK decoder: bad input is a CompressionError, never a crash", () => {
  const bad = ["ff", "be", "3fe21f", "82 3fe11f", "0085 f1e3c2e5", "00 8f ffffffff", "40 01"];
  for (const block of bad) {
    assert.throws(
      () => new HpackDecoder().decode(hex(block)),
      (error: Error) => error.constructor.name === "CompressionError",
      block,
    );
  }
});

test("a hand-written server: a table size update, Huffman-coded literals indexed in its dynamic table and reused in the trailers", async () => {
  // Head: size update to 4096, :status 200, content-type literal, custom-key: custom-value (Huffman) with indexing.
  const head = hex("3fe11f 88 5f10");
  const headBlock = Buffer.concat([head, Buffer.from("application/grpc"), hex("4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")]);
  // Trailers: size update to 0 then 4096 is not allowed mid-block, so: the dynamic entry (index 62), then grpc-status: 0.
  const trailerBlock = Buffer.concat([hex("be 000b"), Buffer.from("grpc-status"), hex("01"), Buffer.from("0")]);
  const upstream = await rawH2Server(
    greet,
    onRequest((id) => [h2Frame(HEADERS, END_HEADERS, id, headBlock), h2Frame(DATA, 0, id, grpcMessage(Buffer.from("raw"))), h2Frame(HEADERS, END_HEADERS | END_STREAM, id, trailerBlock)]),
  );
  const channel = h2Channel(upstream.target);
  try {
    for (let round = 0; round < 3; round++) {
      const result = succeeded(await h2Call(channel, "/t.S/Raw", Buffer.from("x")));
      assert.is(result.message.toString(), "raw");
      assert.equal(result.headers?.get("custom-key"), ["custom-value"]);
      assert.equal(result.trailers?.get("custom-key"), ["custom-value"]);
    }
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("a table size update over the announced 4096 → a connection error; the call fails UNAVAILABLE naming it", async () => {
  const upstream = await rawH2Server(
    greet,
    onRequest((id) => [h2Frame(HEADERS, END_HEADERS, id, hex("3fe13f 88"))]),
  );
  const channel = h2Channel(upstream.target);
  try {
    const status = failed(await h2Call(channel, "/t.S/Raw", Buffer.from("x")));
    assert.is(status.code, 14);
    assert.match(status.details ?? "", /broke the HTTP\/2 protocol: an undecodable header block \(a table size update to 8192/);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("a server that never sends SETTINGS: the call fails UNAVAILABLE (no connection established) after the handshake timeout, not at its deadline", async () => {
  const upstream = await rawH2Server(
    () => {},
    () => {},
  );
  const channel = h2Channel(upstream.target, { keepaliveTimeout: 200 });
  try {
    const started = Date.now();
    const status = failed(await h2Call(channel, "/t.S/Silent", Buffer.from("x"), { timeout: 10_000 }));
    assert.is(status.code, 14);
    assert.match(status.details ?? "", /^No connection established to 127\.0\.0\.1:\d+: no HTTP\/2 SETTINGS from the upstream within 200 ms/);
    assert.ok(Date.now() - started < 5000);
  } finally {
    channel.close();
    await upstream.close();
  }
});

const garbage: readonly { name: string; frames: (id: number) => Buffer[]; message: RegExp }[] = [
  { name: "a frame over the 16 KiB frame size", frames: () => [Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0])], message: /a frame of 16777215 bytes/ },
  { name: "DATA on stream 0", frames: () => [h2Frame(DATA, 0, 0, [1, 2, 3])], message: /DATA frame on stream 0/ },
  { name: "a PUSH_PROMISE", frames: (id) => [h2Frame(5, END_HEADERS, id, [0, 0, 0, 2, 0x88])], message: /PUSH_PROMISE/ },
  { name: "a CONTINUATION out of nowhere", frames: (id) => [h2Frame(9, END_HEADERS, id, [0x88])], message: /CONTINUATION frame that continues no header block/ },
  { name: "a header block interrupted by DATA", frames: (id) => [h2Frame(HEADERS, 0, id, [0x88]), h2Frame(DATA, 0, id, [0])], message: /interrupted/ },
  { name: "an undecodable header block", frames: (id) => [h2Frame(HEADERS, END_HEADERS, id, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])], message: /undecodable header block/ },
  { name: "a WINDOW_UPDATE overflowing the connection window", frames: () => [h2Frame(8, 0, 0, [0x7f, 0xff, 0xff, 0xff])], message: /send window grew over/ },
  {
    name: "a CONTINUATION flood (a header block that never ends)",
    frames: (id) => [h2Frame(HEADERS, 0, id, [0x88]), ...Array.from({ length: 70 }, () => h2Frame(9, 0, id, Buffer.alloc(16_000, 0x88)))],
    message: /a header block over 1048576 bytes/,
  },
  { name: "a SETTINGS frame of 5 bytes", frames: () => [h2Frame(SETTINGS, 0, 0, [0, 4, 0, 0, 1])], message: /multiple of 6/ },
];

for (const row of garbage) {
  test(`garbage after the handshake (${row.name}) → a connection error: the call fails UNAVAILABLE naming it, the process lives, the next call reconnects`, async () => {
    let connection = 0;
    const upstream = await rawH2Server(
      (socket) => {
        connection++;
        greet(socket);
      },
      (socket, frame) => {
        if (frame.type !== HEADERS) return;
        if (connection === 1) for (const bytes of row.frames(frame.streamId)) socket.write(bytes);
        else {
          socket.write(
            h2Frame(
              HEADERS,
              END_HEADERS | END_STREAM,
              frame.streamId,
              Buffer.concat([hex("88 5f10"), Buffer.from("application/grpc"), hex("000b"), Buffer.from("grpc-status"), hex("01"), Buffer.from("5")]),
            ),
          );
        }
      },
    );
    const channel = h2Channel(upstream.target);
    try {
      const status = failed(await h2Call(channel, "/t.S/Garbage", Buffer.from("x")));
      assert.is(status.code, 14);
      assert.match(status.details ?? "", /broke the HTTP\/2 protocol/);
      assert.match(status.details ?? "", row.message);
      assert.is(failed(await h2Call(channel, "/t.S/Garbage", Buffer.from("x"))).code, 5);
    } finally {
      channel.close();
      await upstream.close();
    }
  });
}

test("GOAWAY refusing the call (last stream id 0) on every connection: started once more on a new one, then UNAVAILABLE as never processed", async () => {
  const upstream = await rawH2Server(
    greet,
    onRequest(() => [h2Frame(7, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0])]),
  );
  const channel = h2Channel(upstream.target);
  try {
    const status = failed(await h2Call(channel, "/t.S/Never", Buffer.from("x")));
    assert.is(status.code, 14);
    assert.is(status.transport, true);
    assert.match(status.details ?? "", /^No connection established to 127\.0\.0\.1:\d+: the upstream sent GOAWAY \(NO_ERROR\)/);
    assert.is(upstream.connections, 2);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("a keepalive PING left unanswered drops the connection: the call in flight fails UNAVAILABLE", async () => {
  const upstream = await rawH2Server(greet, () => {});
  const channel = h2Channel(upstream.target, { keepaliveTime: 50, keepaliveTimeout: 100 });
  try {
    const status = failed(await h2Call(channel, "/t.S/Hang", Buffer.from("x"), { timeout: 10_000 }));
    assert.is(status.code, 14);
    assert.match(status.details ?? "", /keepalive PING went unanswered for 100 ms/);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test.run();
