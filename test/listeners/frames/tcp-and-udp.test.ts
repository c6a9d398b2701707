import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConnection } from "node:net";
import { once } from "node:events";
import { ProtoRegistry } from "../../../src/protos/proto-registry.js";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { tcpClient, udpExchange } from "../../helpers/frame-clients.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";

/** Raw TCP (NDJSON and length-prefixed protobuf) and UDP listeners: real sockets, limits and abuse. */
let grpc: TestGrpcServer;
let gateway: TestGateway;
let http: TestUpstream;
const bigBody = Buffer.alloc(3 * 1024 * 1024, 7);
const port = (name: string) => gateway.gateway.listeners.find((listener) => listener.name === name)!.address().port;
const frameType = ProtoRegistry.bundled().findType("rosetta.v1.Frame")!;
const bookType = () => grpc.registry.findType("rosetta.test.v1.Book")!;

test.before(async () => {
  grpc = await startLibraryServer();
  http = await startUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(bigBody);
  });
  gateway = await startGateway({
    listeners: [
      { name: "ndjson", protocol: "tcp", host: "127.0.0.1", port: 0, maxFrameBytes: "4KiB", idleTimeout: "300ms" },
      { name: "binary", protocol: "tcp", host: "127.0.0.1", port: 0, framing: "length-prefixed", codec: "protobuf", maxFrameBytes: "4KiB" },
      { name: "udp", protocol: "udp", host: "127.0.0.1", port: 0, maxFrameBytes: "2KiB", ratePerSource: 5 },
      { name: "udp-xml", protocol: "udp", host: "127.0.0.1", port: 0, codec: "xml" },
      { name: "udp-one", protocol: "udp", host: "127.0.0.1", port: 0, maxInFlight: 1 },
      { name: "small-buffer", protocol: "tcp", host: "127.0.0.1", port: 0, maxBufferedBytes: "64KiB" },
    ],
    protos: { include: ["test/protos"] },
    services: {
      library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] },
      blobs: { protocol: "http", targets: [http.origin] },
    },
    routes: [{ id: "blob", match: { path: "/blob" }, upstream: { service: "blobs", path: "/" } }],
  });
});

test.after(async () => {
  await gateway.stop();
  await grpc.close();
  await http.close();
});

test("tcp ndjson: calls interleave on one connection and replies keep their ids", async () => {
  const client = await tcpClient(port("ndjson"));
  try {
    client.write(`${JSON.stringify({ id: "slow", method: "GET", path: "/v1/slow/200" })}\n${JSON.stringify({ id: "fast", method: "GET", path: "/v1/shelves/1/books/9" })}\n`);
    const fast = await client.collector.until("fast");
    assert.is(
      client.collector.frames.some((frame) => frame.id === "slow"),
      false,
      "the fast reply did not wait for the slow one",
    );
    assert.is(fast[0]!.body.name, "shelves/1/books/9");
    assert.is((await client.collector.until("slow"))[0]!.status, 200);
  } finally {
    client.close();
  }
});

test("tcp length-prefixed protobuf: a rosetta.v1.Frame in, a protobuf body out", async () => {
  const socket = createConnection({ host: "127.0.0.1", port: port("binary") });
  await once(socket, "connect");
  const request = frameType.encode({ id: "7", method: "GET", path: "/v1/shelves/1/books/3" }).finish();
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(request.length);
  socket.write(Buffer.concat([prefix, request]));
  let received = Buffer.alloc(0);
  while (received.length < 4 || received.length < 4 + received.readUInt32BE(0)) received = Buffer.concat([received, (await once(socket, "data"))[0] as Buffer]);
  const reply = frameType.toObject(frameType.decode(received.subarray(4, 4 + received.readUInt32BE(0)))) as { id: string; status: number; headers: Record<string, string>; body: Uint8Array };
  assert.is(reply.id, "7");
  assert.is(reply.status, 200);
  assert.is(reply.headers["content-type"], "application/x-protobuf");
  const book = bookType().toObject(bookType().decode(reply.body), { longs: String }) as { name: string; page_count: string };
  assert.is(book.name, "shelves/1/books/3");
  assert.is(book.page_count, "304");
  socket.destroy();
});

test("tcp length-prefixed protobuf: malformed frames (invalid UTF-8, wire type 7, a length past the message) get a 400 error frame; the connection lives", async () => {
  const socket = createConnection({ host: "127.0.0.1", port: port("binary") });
  await once(socket, "connect");
  let received = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const nextReply = async () => {
    while (received.length < 4 || received.length < 4 + received.readUInt32BE(0)) await once(socket, "data");
    const length = received.readUInt32BE(0);
    const reply = frameType.toObject(frameType.decode(received.subarray(4, 4 + length))) as { status: number; body: Uint8Array };
    received = received.subarray(4 + length);
    return reply;
  };
  const send = (frame: Uint8Array) => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(frame.length);
    socket.write(Buffer.concat([prefix, frame]));
  };
  const id = (text: Buffer) => Buffer.concat([Buffer.from([0x0a, text.length]), text]);
  const malformed = [
    Buffer.concat([id(Buffer.from([0xc3, 0x28])), Buffer.from([0x12, 0x03]), Buffer.from("GET")]), // invalid UTF-8 in the id
    Buffer.concat([id(Buffer.from("1")), Buffer.from([0x0f])]), // field 1, wire type 7
    Buffer.from([0x0a, 0x10, 0x41]), // a length past the end
  ];
  for (const frame of malformed) {
    send(frame);
    const reply = await nextReply();
    assert.is(reply.status, 400);
    assert.match(Buffer.from(reply.body).toString(), "rosetta.v1.Frame");
  }
  send(frameType.encode({ id: "ok", method: "GET", path: "/v1/shelves/1/books/3" }).finish());
  assert.is((await nextReply()).status, 200, "the connection survived the malformed frames");
  socket.destroy();
});

test("tcp: a 0xFFFFFFFF length prefix gets an error frame and the connection closes; others keep working", async () => {
  const bystander = await tcpClient(port("ndjson"));
  const socket = createConnection({ host: "127.0.0.1", port: port("binary") });
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, "close");
  socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
  await closed;
  const data = Buffer.concat(chunks);
  const reply = frameType.toObject(frameType.decode(data.subarray(4, 4 + data.readUInt32BE(0)))) as { status: number; body: Uint8Array };
  assert.is(reply.status, 413);
  assert.match(Buffer.from(reply.body).toString(), "4294967295 bytes");
  assert.is((await bystander.call({ id: "1", method: "GET", path: "/v1/shelves/1/books/1" }))[0]!.status, 200);
  bystander.close();
});

test("tcp ndjson: an endless line is cut off at the limit with an error frame; a bad line only gets an error frame", async () => {
  const bad = await tcpClient(port("ndjson"));
  bad.write("{oops}\n");
  const [badReply] = await bad.collector.until("");
  assert.is(badReply!.status, 400);
  assert.is((await bad.call({ id: "2", method: "GET", path: "/v1/shelves/1/books/1" }))[0]!.status, 200, "the connection survived a bad frame");
  bad.close();
  const endless = await tcpClient(port("ndjson"));
  for (let sent = 0; sent < 10 && !endless.socket.destroyed; sent++) endless.write("x".repeat(1024));
  await endless.closed;
  assert.is(endless.collector.frames[0]!.status, 413);
  assert.match(endless.collector.frames[0]!.body.message, "frame limit of 4096 bytes");
});

/** Writes `bytes` on a half-open client, half-closes (FIN, as nc -N or shutdown(SHUT_WR)), and reads until the gateway closes. */
async function halfClose(name: string, bytes: Buffer): Promise<{ received: Buffer; ended: boolean }> {
  const socket = createConnection({ host: "127.0.0.1", port: port(name), allowHalfOpen: true });
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<boolean>((resolve) => {
    socket.once("end", () => resolve(true));
    socket.once("close", () => resolve(false));
    setTimeout(() => resolve(false), 5000);
  });
  socket.end(bytes);
  const result = { ended: await ended, received: Buffer.concat(chunks) };
  socket.destroy();
  return result;
}

test("tcp ndjson: a caller that half-closes gets every reply (upstream calls, streams, errors) before the gateway closes", async () => {
  const frames = [
    { id: "slow", method: "GET", path: "/v1/slow/300" },
    { id: "book", method: "GET", path: "/v1/shelves/1/books/5" },
    { id: "stream", method: "GET", path: "/v1/shelves/1/books:stream?pageSize=3" },
    { id: "collected", method: "POST", path: "/v1/books:collect", stream: true, body: { name: "a" } },
    { id: "collected", end: true },
    { id: "open", method: "POST", path: "/v1/books:collect", stream: true, body: { name: "b" } },
  ];
  // The last frame has no newline: the end of the stream ends it.
  const lines = `${frames.map((frame) => JSON.stringify(frame)).join("\n")}\n{oops}\n${JSON.stringify({ id: "last", method: "GET", path: "/v1/shelves/1/books/6" })}`;
  const { received, ended } = await halfClose("ndjson", Buffer.from(lines));
  assert.ok(ended, "the gateway closed its side after the replies");
  const replies = received
    .toString()
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const final = (id: string) => replies.find((reply) => reply.id === id && reply.status !== undefined);
  assert.is(final("slow")?.status, 200, "a slow upstream call's reply arrived");
  assert.is(final("book")?.body.name, "shelves/1/books/5");
  assert.is(replies.filter((reply) => reply.id === "stream").length, 4, "three stream messages and the final frame");
  assert.is(final("collected")?.body.books[0].name, "a");
  assert.is(final("open")?.body.code, 1, "a client stream never ended is cancelled, not sent upstream cut short");
  assert.is(final("")?.status, 400, "the bad frame's error reply");
  assert.is(final("last")?.body.name, "shelves/1/books/6", "a last line without its newline is a frame");
});

test("tcp length-prefixed protobuf: a caller that half-closes gets its replies", async () => {
  const framed = (frame: Record<string, unknown>) => {
    const payload = frameType.encode(frame).finish();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(payload.length);
    return Buffer.concat([prefix, payload]);
  };
  const { received, ended } = await halfClose("binary", Buffer.concat([framed({ id: "s", method: "GET", path: "/v1/slow/200" }), framed({ id: "b", method: "GET", path: "/v1/shelves/1/books/3" })]));
  assert.ok(ended);
  const ids: string[] = [];
  for (let offset = 0; offset + 4 <= received.length; offset += 4 + received.readUInt32BE(offset)) {
    const reply = frameType.toObject(frameType.decode(received.subarray(offset + 4, offset + 4 + received.readUInt32BE(offset)))) as { id: string; status: number };
    assert.is(reply.status, 200);
    ids.push(reply.id);
  }
  assert.equal(ids.sort(), ["b", "s"]);
  // A frame cut short by the end of the stream gets an error frame, then the close.
  const cut = await halfClose("binary", framed({ id: "c", method: "GET", path: "/v1/shelves/1/books/3" }).subarray(0, 12));
  assert.ok(cut.ended);
  const error = frameType.toObject(frameType.decode(cut.received.subarray(4, 4 + cut.received.readUInt32BE(0)))) as { status: number; body: Uint8Array };
  assert.is(error.status, 400);
  assert.match(Buffer.from(error.body).toString(), "ended inside a frame");
});

test("tcp: a reply frame larger than maxBufferedBytes still reaches a caller that reads", async () => {
  const client = await tcpClient(port("small-buffer"));
  try {
    const [reply] = await client.call({ id: "big", method: "GET", path: "/blob" });
    assert.is(reply!.status, 200);
    assert.equal(Buffer.from(reply!.bodyBase64, "base64"), bigBody);
  } finally {
    client.close();
  }
});

test("tcp: an idle connection is closed after idleTimeout", async () => {
  const client = await tcpClient(port("ndjson"));
  const started = Date.now();
  await client.closed;
  assert.ok(Date.now() - started < 2000);
});

test("udp: a padded datagram gets the same reply as HTTP; a small one never gets more bytes than it sent", async () => {
  const request = { id: "u1", method: "GET", path: "/v1/shelves/1/books/2" };
  const padded = JSON.stringify({ ...request, pad: " ".repeat(1200) });
  const [reply] = await udpExchange(port("udp"), padded);
  const frame = JSON.parse(reply!.toString());
  assert.is(frame.status, 200);
  assert.is(frame.body.name, "shelves/1/books/2");
  // The amplification attempt: ~60 bytes asking for a ~300-byte reply.
  const small = JSON.stringify(request);
  const replies = await udpExchange(port("udp"), small, 500, false);
  const sent = replies.reduce((total, datagram) => total + datagram.byteLength, 0);
  assert.ok(sent <= Buffer.byteLength(small), `sent ${sent} bytes for ${Buffer.byteLength(small)}`);
  // Big enough for the error frame, too small for the book: told to pad or use TCP.
  const [refusal] = await udpExchange(port("udp"), JSON.stringify({ ...request, pad: " ".repeat(200) }));
  const refused = JSON.parse(refusal!.toString());
  assert.is(refused.status, 413);
  assert.match(refused.body.message, "use TCP");
});

test("udp: oversize datagrams are refused; a source over its rate is dropped unanswered", async () => {
  const [oversize] = await udpExchange(port("udp"), JSON.stringify({ id: "big", method: "GET", path: "/v1/shelves/1", pad: " ".repeat(3000) }));
  assert.is(JSON.parse(oversize!.toString()).status, 413);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, index) => udpExchange(port("udp"), JSON.stringify({ id: String(index), method: "GET", path: "/v1/shelves/1/books/1", pad: " ".repeat(600) }), 700)),
  );
  const answered = answers.filter((replies) => replies.length > 0).length;
  assert.ok(answered >= 4 && answered <= 6, `answered ${answered} of 12 with a rate of 5/s`);
});

test("udp: a client stream left open in its datagram is refused at once (it could never be ended), and holds no place", async () => {
  const pad = " ".repeat(600);
  for (const name of ["udp-one", "udp-xml"]) {
    const open =
      name === "udp-xml"
        ? `<frame><id>o</id><method>POST</method><path>/v1/books:collect</path><stream>true</stream><pad>${pad}</pad></frame>`
        : JSON.stringify({ id: "o", method: "POST", path: "/v1/books:collect", stream: true, body: { name: "a" }, pad });
    const [refusal] = await udpExchange(port(name), open, 3000);
    assert.ok(refusal !== undefined, `${name}: no reply to an open client stream`);
    assert.match(refusal!.toString(), name === "udp-xml" ? "<status>400</status>" : '"status":400');
    assert.match(refusal!.toString(), "one datagram");
  }
  const [ended] = await udpExchange(port("udp-one"), JSON.stringify({ id: "e", method: "POST", path: "/v1/books:collect", stream: true, end: true, body: { name: "a" }, pad }));
  assert.is(JSON.parse(ended!.toString()).status, 200, "a stream opened and ended in one datagram is a call");
  const [next] = await udpExchange(port("udp-one"), JSON.stringify({ id: "n", method: "GET", path: "/v1/shelves/1/books/1", pad }));
  assert.is(JSON.parse(next!.toString()).status, 200, "the listener's one place is free");
});

test("udp with XML frames: the body is the XML document inside <body>", async () => {
  const frame = `<frame><id>x1</id><method>GET</method><path>/v1/shelves/1/books/4</path><pad>${" ".repeat(900)}</pad></frame>`;
  const [reply] = await udpExchange(port("udp-xml"), frame);
  const text = reply!.toString();
  assert.match(text, /^<frame><id>x1<\/id><status>200<\/status>/);
  assert.match(text, "<body><Book><name>shelves/1/books/4</name>");
  const post = `<frame><id>x2</id><method>POST</method><path>/v1/shelves/5/books</path><body><Book><author>XML frame</author><pageCount>12</pageCount></Book></body><pad>${" ".repeat(900)}</pad></frame>`;
  const [created] = await udpExchange(port("udp-xml"), post);
  assert.match(created!.toString(), "<status>200</status>");
  const call = grpc.calls.at(-1)!;
  assert.is((call.request as { book: { author: string } }).book.author, "XML frame");
});

test.run();
