import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { constants, createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream, type Settings } from "node:http2";
import { Metadata } from "@grpc/grpc-js";
import { h2Call, h2Channel, failed, succeeded } from "../../helpers/h2-client.js";
import { grpcMessage } from "../../helpers/raw-h2-server.js";
import { waitFor } from "../../helpers/wait.js";

/**
 * HTTP/2 edge cases for Rosetta's client against a node:http2 (nghttp2)
 * server driven by hand: flow control both ways, frames split over many
 * DATA and CONTINUATION frames, the server's HPACK dynamic table, GOAWAY,
 * RST_STREAM, max-concurrent-streams and PING.
 */

type Answer = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer, session: Http2Session) => void;

async function h2Server(settings: Settings, answer: Answer): Promise<{ target: string; server: Http2Server; sessions: Http2Session[]; close(): Promise<void> }> {
  const sessions: Http2Session[] = [];
  const server = createServer({ settings, maxSessionMemory: 100 });
  server.on("session", (session) => sessions.push(session));
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => answer(stream, headers, Buffer.concat(chunks), stream.session as Http2Session));
    stream.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    target: `127.0.0.1:${port}`,
    server,
    sessions,
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A gRPC OK reply with `message`, optional extra trailers. */
function reply(stream: ServerHttp2Stream, message: Buffer, trailers: Record<string, string> = {}, head: Record<string, string> = {}): void {
  if (stream.destroyed) return;
  stream.respond({ ":status": 200, "content-type": "application/grpc", ...head }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", ...trailers }));
  stream.end(grpcMessage(message));
}

/** The message inside a request body. */
const unframe = (body: Buffer) => body.subarray(5);
const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

test("a 10 MiB reply, over the client's stream and connection windows: it sends WINDOW_UPDATEs and reads all of it", async () => {
  const big = Buffer.alloc(10 * 1024 * 1024);
  for (let index = 0; index < big.byteLength; index += 4096) big[index] = index & 0xff;
  const upstream = await h2Server({}, (stream) => reply(stream, big));
  const channel = h2Channel(upstream.target, { maxReceiveMessageSize: 16 * 1024 * 1024 });
  try {
    const result = succeeded(await h2Call(channel, "/t.S/Big", Buffer.from("x"), { timeout: 20_000 }));
    assert.is(result.message.byteLength, big.byteLength);
    assert.is(digest(result.message), digest(big));
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("a 300 KB request to a server whose windows are 1 KiB (stream) and 64 KiB (connection): the body waits for its WINDOW_UPDATEs", async () => {
  const body = Buffer.alloc(300_000);
  for (let index = 0; index < body.byteLength; index++) body[index] = (index * 7) & 0xff;
  const upstream = await h2Server({ initialWindowSize: 1024 }, (stream, _headers, received) => reply(stream, Buffer.from(`${unframe(received).byteLength}:${digest(unframe(received))}`)));
  const channel = h2Channel(upstream.target);
  try {
    // Two at once: both share the connection window.
    const [first, second] = await Promise.all([h2Call(channel, "/t.S/Up", body, { timeout: 20_000 }), h2Call(channel, "/t.S/Up", body.subarray(1000), { timeout: 20_000 })]);
    assert.is(succeeded(first).message.toString(), `300000:${digest(body)}`);
    assert.is(succeeded(second).message.toString(), `299000:${digest(body.subarray(1000))}`);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("header blocks over 16 KiB: request metadata goes out in CONTINUATION frames, big response headers and trailers are read from them", async () => {
  const longValue = "v".repeat(30_000);
  let seen: string | undefined;
  const upstream = await h2Server({ maxHeaderListSize: 1024 * 1024 }, (stream, headers) => {
    seen = String(headers["x-long"]);
    reply(stream, Buffer.from("ok"), { "x-trailer-long": `t${longValue}` }, { "x-head-long": `h${longValue}` });
  });
  const channel = h2Channel(upstream.target);
  try {
    const metadata = new Metadata();
    metadata.add("x-long", longValue);
    const result = succeeded(await h2Call(channel, "/t.S/Headers", Buffer.from("x"), { metadata }));
    assert.is(seen, longValue);
    assert.equal(result.headers?.get("x-head-long"), [`h${longValue}`]);
    assert.equal(result.trailers?.get("x-trailer-long"), [`t${longValue}`]);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("the server's HPACK dynamic table: 40 calls on one connection with repeated and changing metadata decode right", async () => {
  let count = 0;
  const upstream = await h2Server({}, (stream, headers) => {
    count++;
    reply(stream, Buffer.from(String(headers["x-n"])), { "x-same": "constant value", "x-changing": `value ${headers["x-n"]}` }, { "x-head": `call-${headers["x-n"]}`, "x-fixed": "fixed" });
  });
  const channel = h2Channel(upstream.target);
  try {
    for (let round = 0; round < 4; round++) {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, index) => {
          const metadata = new Metadata();
          metadata.add("x-n", String(round * 10 + index));
          return h2Call(channel, "/t.S/Table", Buffer.from("x"), { metadata });
        }),
      );
      outcomes.forEach((outcome, index) => {
        const n = round * 10 + index;
        const result = succeeded(outcome);
        assert.is(result.message.toString(), String(n));
        assert.equal(result.headers?.get("x-head"), [`call-${n}`]);
        assert.equal(result.headers?.get("x-fixed"), ["fixed"]);
        assert.equal(result.trailers?.get("x-same"), ["constant value"]);
        assert.equal(result.trailers?.get("x-changing"), [`value ${n}`]);
      });
    }
    assert.is(count, 40);
    assert.is(upstream.sessions.length, 1);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("GOAWAY mid-call: calls above its last stream id start again on a new connection, the one below finishes, later calls use the new connection", async () => {
  const held: ServerHttp2Stream[] = [];
  const upstream = await h2Server({}, (stream, _headers, body, session) => {
    if (session === upstream.sessions[0]) {
      held.push(stream);
      if (held.length === 3) {
        // Only stream 1 is taken; 3 and 5 were never processed.
        session.goaway(constants.NGHTTP2_NO_ERROR, 1);
        setTimeout(() => reply(held[0] as ServerHttp2Stream, Buffer.from(`first:${unframe(body).toString()}`)), 20);
      }
      return;
    }
    reply(stream, Buffer.from(`second:${unframe(body).toString()}`));
  });
  const channel = h2Channel(upstream.target);
  try {
    const outcomes = await Promise.all(["a", "b", "c"].map((text) => h2Call(channel, "/t.S/Go", Buffer.from(text))));
    const answers = outcomes.map((outcome) => succeeded(outcome).message.toString());
    assert.is(answers.filter((answer) => answer.startsWith("first:")).length, 1, answers.join());
    assert.is(answers.filter((answer) => answer.startsWith("second:")).length, 2, answers.join());
    assert.is(upstream.sessions.length, 2);
    assert.is(succeeded(await h2Call(channel, "/t.S/Go", Buffer.from("d"))).message.toString(), "second:d");
    assert.is(upstream.sessions.length, 2);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("RST_STREAM from the server: the call fails UNAVAILABLE naming the code; REFUSED_STREAM is retried; the connection carries on", async () => {
  let refusedOnce = false;
  const upstream = await h2Server({}, (stream, headers) => {
    const kind = String(headers[":path"]);
    if (kind === "/t.S/Reset") stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    else if (kind === "/t.S/Refuse" && !refusedOnce) {
      refusedOnce = true;
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
    } else reply(stream, Buffer.from("fine"));
  });
  const channel = h2Channel(upstream.target);
  try {
    const status = failed(await h2Call(channel, "/t.S/Reset", Buffer.from("x")));
    assert.is(status.code, 14);
    assert.is(status.transport, true);
    assert.match(status.details ?? "", /reset the call \(RST_STREAM INTERNAL_ERROR\)/);
    assert.is(succeeded(await h2Call(channel, "/t.S/Refuse", Buffer.from("x"))).message.toString(), "fine");
    assert.ok(refusedOnce);
    assert.is(succeeded(await h2Call(channel, "/t.S/Ok", Buffer.from("x"))).message.toString(), "fine");
    assert.is(upstream.sessions.length, 1);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("a server with max-concurrent-streams 1: calls queue and each completes, never two open at once", async () => {
  let open = 0;
  let most = 0;
  const upstream = await h2Server({ maxConcurrentStreams: 1 }, (stream, _headers, body) => {
    open++;
    most = Math.max(most, open);
    setTimeout(() => {
      open--;
      reply(stream, unframe(body));
    }, 10);
  });
  const channel = h2Channel(upstream.target);
  try {
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, index) => h2Call(channel, "/t.S/One", Buffer.from(`n${index}`))));
    for (const [index, outcome] of outcomes.entries()) assert.is(succeeded(outcome).message.toString(), `n${index}`);
    assert.is(most, 1);
    assert.is(upstream.sessions.length, 1);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("PING: the client acknowledges the server's pings, and its keepalive pings are answered without disturbing calls", async () => {
  const upstream = await h2Server({}, (stream, _headers, body) => reply(stream, unframe(body)));
  const channel = h2Channel(upstream.target, { keepaliveTime: 30, keepaliveTimeout: 1000 });
  try {
    assert.is(succeeded(await h2Call(channel, "/t.S/P", Buffer.from("a"))).message.toString(), "a");
    const session = upstream.sessions[0] as Http2Session;
    const rtt = await new Promise<number>((resolve, reject) => session.ping((error, duration) => (error ? reject(error) : resolve(duration))));
    assert.ok(rtt >= 0);
    let serverSawPings = 0;
    session.on("ping", () => serverSawPings++);
    await waitFor(() => serverSawPings >= 2, "two keepalive pings from the client");
    assert.is(succeeded(await h2Call(channel, "/t.S/P", Buffer.from("b"))).message.toString(), "b");
    assert.is(upstream.sessions.length, 1);
  } finally {
    channel.close();
    await upstream.close();
  }
});

test("a trailers-only reply (HEADERS with END_STREAM and grpc-status) is a status, not a malformed reply", async () => {
  const upstream = await h2Server({}, (stream) => stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "no%20way" }, { endStream: true }));
  const channel = h2Channel(upstream.target);
  try {
    const status = failed(await h2Call(channel, "/t.S/T", Buffer.from("x")));
    assert.is(status.code, 7);
    assert.is(status.details, "no way");
  } finally {
    channel.close();
    await upstream.close();
  }
});

test.run();
