import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { request } from "undici";
import { startGateway } from "../../helpers/gateway.js";

/** A raw TCP "HTTP upstream": answers each request head with `reply(index)` bytes, then closes. */
async function rawUpstream(reply: (index: number) => string): Promise<{ origin: string; server: Server; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let index = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      head = "";
      socket.end(reply(index++), "latin1");
    });
  }).listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    server,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Replies that break HTTP/1.1 before a head the gateway could forward: each must be 502, never 503. */
const malformedHeads: readonly { name: string; reply: string; message: RegExp }[] = [
  { name: "Content-Length and Transfer-Encoding both", reply: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", message: /framing is invalid/ },
  { name: "two different Content-Lengths", reply: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", message: /framing is invalid/ },
  { name: "an invalid status line", reply: "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", message: /Invalid status code/ },
  { name: "not HTTP at all", reply: "SSH-2.0-OpenSSH_9.6\r\n\r\n", message: /does not match the HTTP\/1\.1 protocol/ },
  { name: "a control character in a header name", reply: "HTTP/1.1 200 OK\r\nX-A\u0001b: c\r\nContent-Length: 0\r\n\r\n", message: /Invalid header token/ },
  { name: "a NUL in a header value", reply: "HTTP/1.1 200 OK\r\nX-A: c\u0000d\r\nContent-Length: 0\r\n\r\n", message: /Invalid header value char/ },
];

// Both HTTP/1.1 transports name the same problems.
for (const transport of ["rosetta", "undici"] as const) {
  for (const row of malformedHeads) {
    test(`HTTP upstream reply with ${row.name} → 502 INTERNAL naming the problem (transport: ${transport})`, async () => {
      const upstream = await rawUpstream(() => row.reply);
      const gateway = await startGateway({
        services: { bad: { protocol: "http", targets: [upstream.origin], transport } },
        routes: [{ id: "all", upstream: { service: "bad" } }],
      });
      try {
        const response = await request(`${gateway.url}/x`);
        const body = (await response.body.json()) as { code: number; message: string };
        assert.is(response.statusCode, 502, JSON.stringify(body));
        assert.is(body.code, 13);
        assert.match(body.message, /^upstream "bad" \(http:\/\/127\.0\.0\.1:\d+\) sent a malformed reply: /);
        assert.match(body.message, row.message);
      } finally {
        await gateway.stop();
        await upstream.close();
      }
    });
  }
}

/** Replies whose head is fine but whose body breaks: the 200 head is already out, so the caller's connection is cut. */
const malformedBodies: readonly { name: string; reply: string }[] = [
  { name: "a body shorter than its Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello" },
  { name: "a truncated chunked body", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel" },
  { name: "an invalid chunk size", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nhello\r\n0\r\n\r\n" },
];

for (const row of malformedBodies) {
  test(`HTTP upstream reply with ${row.name} → the caller's connection is cut, never a complete-looking body`, async () => {
    const upstream = await rawUpstream(() => row.reply);
    const gateway = await startGateway({
      services: { bad: { protocol: "http", targets: [upstream.origin] } },
      routes: [{ id: "all", upstream: { service: "bad" } }],
    });
    try {
      const response = await request(`${gateway.url}/x`);
      assert.is(response.statusCode, 200);
      const outcome = await response.body.text().then(
        (text) => `complete: ${JSON.stringify(text)}`,
        (error: Error) => `cut: ${error.message}`,
      );
      assert.match(outcome, /^cut: /);
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
}

test("malformed replies do not eject the target (it answers; a refused connection still does)", async () => {
  // Every other reply is malformed; with consecutiveFailures: 1 a single counted failure would eject the only good target.
  const upstream = await rawUpstream((index) =>
    index % 2 === 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx" : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
  );
  const other = await rawUpstream(() => "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nother");
  const gateway = await startGateway({
    services: { pair: { protocol: "http", targets: [upstream.origin, other.origin], ejection: { consecutiveFailures: 1, baseTime: "30s" } } },
    routes: [{ id: "all", upstream: { service: "pair" } }],
  });
  try {
    const bodies: string[] = [];
    for (let index = 0; index < 8; index++) {
      const response = await request(`${gateway.url}/x`);
      bodies.push(`${response.statusCode} ${await response.body.text().catch(() => "")}`);
    }
    const fromFirst = bodies.filter((body) => !body.endsWith("other"));
    assert.is(fromFirst.length, 4, bodies.join(" | "));
    assert.ok(fromFirst.some((body) => body.startsWith("502")) && fromFirst.some((body) => body === "200 ok"), bodies.join(" | "));
  } finally {
    await gateway.stop();
    await upstream.close();
    await other.close();
  }
});

test.run();
