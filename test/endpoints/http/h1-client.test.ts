import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { Readable } from "node:stream";
import type { HeaderMap, ResponseEnvelope } from "../../../src/core/envelope.js";
import { Cancellation } from "../../../src/core/cancellation.js";
import { H1Exchange } from "../../../src/endpoints/http/h1/h1-exchange.js";
import { H1Pool } from "../../../src/endpoints/http/h1/h1-pool.js";

const poolOptions = { connections: 4, keepAliveTimeout: 4_000, connectTimeout: 5_000, bodyTimeout: 30_000, tls: undefined };

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A node:http upstream that counts the connections it accepted. */
async function httpUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ origin: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = createHttpServer(handler);
  server.on("connection", () => connections++);
  const origin = await listen(server);
  return {
    origin,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A raw TCP upstream: `onRequest(socket, index, connection)` for every request head it reads. */
async function rawUpstream(onRequest: (socket: Socket, index: number, connection: number) => void): Promise<{ origin: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  let connections = 0;
  const server = createNetServer((socket) => {
    const connection = connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      while (head.includes("\r\n\r\n")) {
        head = head.slice(head.indexOf("\r\n\r\n") + 4);
        onRequest(socket, requests++, connection);
      }
    });
  });
  const origin = await listen(server);
  return {
    origin,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(pool: H1Pool, method: string, path: string, options: { headers?: HeaderMap; body?: Uint8Array | Readable; budget?: number } = {}): Promise<ResponseEnvelope> {
  const exchange = new H1Exchange(method, path, options.headers ?? {}, options.body ?? null, options.budget ?? 10_000, () => new Error(`no answer within ${options.budget}ms`), new Cancellation());
  pool.dispatch(exchange);
  return exchange.response;
}

/** Reads a response body whole, with its trailers. */
function readAll(response: ResponseEnvelope): Promise<{ text: string; trailers: HeaderMap }> {
  const body = response.body;
  if (body.kind === "empty") return Promise.resolve({ text: "", trailers: {} });
  if (body.kind !== "push") throw new Error(`unexpected body ${body.kind}`);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.source.pipe({
      write: (chunk) => chunks.push(Buffer.from(chunk)) > 0,
      end: (trailers) => resolve({ text: Buffer.concat(chunks).toString(), trailers }),
      fail: reject,
    });
  });
}

test("keep-alive: sequential and concurrent requests share the pool's connections", async () => {
  const upstream = await httpUpstream((req, res) => res.end(`hello ${req.url}`));
  const pool = new H1Pool(upstream.origin, { ...poolOptions, connections: 1 });
  try {
    for (let index = 0; index < 5; index++) {
      const response = await send(pool, "GET", `/s${index}`);
      assert.is((await readAll(response)).text, `hello /s${index}`);
    }
    // Three at once on a pool of one: queued, then each reuses the one connection.
    const texts = await Promise.all([0, 1, 2].map(async (index) => (await readAll(await send(pool, "GET", `/c${index}`))).text));
    assert.equal(texts, ["hello /c0", "hello /c1", "hello /c2"]);
    assert.is(upstream.connections(), 1);
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("chunked replies with trailers: the body and the trailers arrive", async () => {
  const upstream = await httpUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", trailer: "x-checksum" });
    res.write("first ");
    setTimeout(() => {
      res.write("second");
      res.addTrailers({ "x-checksum": "abc" });
      res.end();
    }, 5);
  });
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    const response = await send(pool, "GET", "/t");
    assert.is(response.headers["transfer-encoding"], undefined, "hop-by-hop headers are stripped");
    const { text, trailers } = await readAll(response);
    assert.is(text, "first second");
    assert.is(trailers["x-checksum"], "abc");
    // The connection was left clean: the next request reuses it.
    await readAll(await send(pool, "GET", "/again"));
    assert.is(upstream.connections(), 1);
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("a streamed request body goes chunked, with backpressure, and arrives whole", async () => {
  const upstream = await httpUpstream((req, res) => {
    let size = 0;
    req.on("data", (chunk: Buffer) => (size += chunk.byteLength));
    req.on("end", () => res.end(`${req.headers["transfer-encoding"]} ${size}`));
  });
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    const parts = Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 7));
    const response = await send(pool, "POST", "/upload", { body: Readable.from(parts) });
    assert.is((await readAll(response)).text, `chunked ${64 * 64 * 1024}`);
    const known = await send(pool, "POST", "/upload", { body: Buffer.from("abc"), headers: { "content-length": "3" } });
    assert.is((await readAll(known)).text, "undefined 3");
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("an idle connection the upstream closes as the request arrives: the request is sent once more on a fresh connection", async () => {
  const connectionsSeen = new Set<number>();
  const upstream = await rawUpstream((socket, index, connection) => {
    connectionsSeen.add(connection);
    // The second request finds the first connection dying: closed without a byte back.
    if (index === 1) socket.destroy();
    else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n${index}!`);
  });
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    assert.is((await readAll(await send(pool, "GET", "/a"))).text, "0!");
    assert.is((await readAll(await send(pool, "GET", "/b"))).text, "2!");
    assert.is(connectionsSeen.size, 2);
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("a fresh connection closed without an answer is not retried: the request fails", async () => {
  const upstream = await rawUpstream((socket) => socket.destroy());
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    const error = await send(pool, "GET", "/x").then(
      () => undefined,
      (failure: Error & { code?: string }) => failure,
    );
    assert.ok(error !== undefined);
    assert.ok(error.code === "H1_CLOSED" || error.code === "ECONNRESET", String(error.code));
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("slow headers: the exchange fails with the deadline's error, and the connection is not reused", async () => {
  let answered = 0;
  const upstream = await httpUpstream((req, res) => {
    if (req.url === "/slow") return; // never answers
    answered++;
    res.end("ok");
  });
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    const error = await send(pool, "GET", "/slow", { budget: 100 }).then(
      () => undefined,
      (failure: Error) => failure,
    );
    assert.match(String(error?.message), /no answer within 100ms/);
    assert.is((await readAll(await send(pool, "GET", "/fast"))).text, "ok");
    assert.is(answered, 1);
    assert.is(upstream.connections(), 2);
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("a caller that leaves mid-body: the exchange fails with its reason and the upstream connection is closed", async () => {
  let closed: Promise<unknown> | undefined;
  const upstream = await httpUpstream((req, res) => {
    closed = once(req.socket, "close");
    res.writeHead(200, { "content-length": "100" });
    res.write("partial");
  });
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    const cancellation = new Cancellation();
    const exchange = new H1Exchange("GET", "/x", {}, null, 10_000, () => new Error("deadline"), cancellation);
    pool.dispatch(exchange);
    const response = await exchange.response;
    const reading = readAll(response).then(
      () => "complete",
      (error: Error) => error.message,
    );
    cancellation.cancel(new Error("the caller left"));
    assert.is(await reading, "the caller left");
    const bound = new Promise((_, reject) => setTimeout(() => reject(new Error("the upstream connection stayed open")), 5_000).unref());
    await Promise.race([closed, bound]);
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("1xx heads are skipped; the final head is the response", async () => {
  const upstream = await rawUpstream((socket) => {
    socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
    setTimeout(() => socket.write("HTTP/1.1 201 Created\r\nContent-Length: 4\r\nX-Final: yes\r\n\r\ndone"), 5);
  });
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    const response = await send(pool, "POST", "/x", { body: Buffer.from("{}"), headers: { "content-length": "2" } });
    assert.is(response.status, 201);
    assert.is(response.headers["x-final"], "yes");
    assert.is(response.headers.link, undefined);
    assert.is((await readAll(response)).text, "done");
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("HEAD, 204 and 304 replies have no body even with a Content-Length; the connection stays usable", async () => {
  const upstream = await httpUpstream((req, res) => {
    if (req.url === "/204") res.writeHead(204).end();
    else if (req.url === "/304") res.writeHead(304, { etag: '"x"' }).end();
    else res.writeHead(200, { "content-length": "11" }).end(req.method === "HEAD" ? undefined : "hello world");
  });
  const pool = new H1Pool(upstream.origin, { ...poolOptions, connections: 1 });
  try {
    const head = await send(pool, "HEAD", "/doc");
    assert.is(head.status, 200);
    assert.is(head.headers["content-length"], "11");
    assert.is(head.body.kind, "empty");
    assert.is((await send(pool, "GET", "/204")).body.kind, "empty");
    assert.is((await send(pool, "GET", "/304")).body.kind, "empty");
    assert.is((await readAll(await send(pool, "GET", "/doc"))).text, "hello world");
    assert.is(upstream.connections(), 1);
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("a reply without length is read until the close; Connection: close is honoured", async () => {
  const upstream = await rawUpstream((socket, index) => {
    if (index === 0) socket.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
    else socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye");
  });
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    assert.is((await readAll(await send(pool, "GET", "/a"))).text, "until the end");
    const closing = await send(pool, "GET", "/b");
    assert.is(closing.headers.connection, undefined);
    assert.is((await readAll(closing)).text, "bye");
  } finally {
    pool.close();
    await upstream.close();
  }
});

test("malformed replies are errors naming the rule, never a response", async () => {
  const replies = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", /framing is invalid/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", /framing is invalid/],
    ["HTTP/1.1 2x0 OK\r\n\r\n", /Invalid status code/],
    ["HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", /Invalid header token/],
  ] as const;
  for (const [reply, message] of replies) {
    const upstream = await rawUpstream((socket) => socket.end(reply));
    const pool = new H1Pool(upstream.origin, poolOptions);
    try {
      const error = await send(pool, "GET", "/").then(
        () => undefined,
        (failure: Error & { code?: string }) => failure,
      );
      assert.is(error?.code, "H1_MALFORMED", reply);
      assert.match(String(error?.message), message);
    } finally {
      pool.close();
      await upstream.close();
    }
  }
});

test("a head whose lines end in bare LF is refused at once, not left waiting for the deadline", async () => {
  // The upstream keeps the connection open: only the parser can end the exchange.
  const upstream = await rawUpstream((socket) => socket.write("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"));
  const pool = new H1Pool(upstream.origin, poolOptions);
  try {
    const started = performance.now();
    const error = await send(pool, "GET", "/").then(
      () => undefined,
      (failure: Error & { code?: string }) => failure,
    );
    assert.is(error?.code, "H1_MALFORMED");
    assert.match(String(error?.message), /LF without CR/);
    assert.ok(performance.now() - started < 5_000, "answered before the deadline");
  } finally {
    pool.close();
    await upstream.close();
  }
});

test.run();
