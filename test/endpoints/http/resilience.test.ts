import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { Readable } from "node:stream";
import { createServer } from "node:net";
import { request } from "undici";
import { startGateway } from "../../helpers/gateway.js";
import { waitFor } from "../../helpers/wait.js";
import { startUpstream } from "../../helpers/upstream.js";

/** A port that was free a moment ago and now has nothing listening: connections are refused. */
async function deadOrigin(): Promise<string> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

test("two targets with one down: every request succeeds, and the dead one is ejected", async () => {
  const live = await startUpstream();
  const dead = await deadOrigin();
  const gateway = await startGateway({
    services: { pair: { protocol: "http", targets: [dead, live.origin], ejection: { consecutiveFailures: 1, baseTime: "30s" } } },
    routes: [{ id: "all", upstream: { service: "pair" } }],
  });
  try {
    const statuses: number[] = [];
    for (let index = 0; index < 20; index++) {
      const response = await request(`${gateway.url}/r${index}`);
      statuses.push(response.statusCode);
      await response.body.dump();
    }
    assert.equal(statuses, Array(20).fill(200));
    assert.is(live.received.length, 20);
  } finally {
    await gateway.stop();
    await live.close();
  }
});

test("the only target refuses → 503 UNAVAILABLE naming the service", async () => {
  const gateway = await startGateway({
    services: { gone: { protocol: "http", targets: [await deadOrigin()] } },
    routes: [{ id: "all", upstream: { service: "gone" } }],
  });
  try {
    const response = await request(`${gateway.url}/x`);
    assert.is(response.statusCode, 503);
    const body = (await response.body.json()) as { code: number; message: string };
    assert.is(body.code, 14);
    assert.match(body.message, /upstream "gone" \(http:\/\/127\.0\.0\.1:\d+\) refused the connection/);
  } finally {
    await gateway.stop();
  }
});

test("an upstream slower than the timeout → 504 DEADLINE_EXCEEDED; the route timeout overrides the service's", async () => {
  const slow = await startUpstream((_req, res) => setTimeout(() => res.end("late"), 400));
  const gateway = await startGateway({
    services: { slow: { protocol: "http", targets: [slow.origin], timeout: "5s" } },
    routes: [
      { id: "fast", match: { path: "/fast" }, upstream: { service: "slow", timeout: "100ms" } },
      { id: "patient", match: { path: "/patient" }, upstream: { service: "slow" } },
    ],
  });
  try {
    const started = Date.now();
    const response = await request(`${gateway.url}/fast`);
    assert.is(response.statusCode, 504);
    const body = (await response.body.json()) as { code: number; message: string };
    assert.is(body.code, 4);
    assert.match(body.message, /did not answer within 100ms/);
    assert.ok(Date.now() - started < 380, "answered at the deadline, not when the upstream finished");
    const patient = await request(`${gateway.url}/patient`);
    assert.is(patient.statusCode, 200);
    assert.is(await patient.body.text(), "late");
  } finally {
    await gateway.stop();
    await slow.close();
  }
});

test("a caller that disconnects cancels the upstream request", async () => {
  let upstreamClosed: () => void;
  const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
  const hanging = await startUpstream((_req, res) => {
    res.on("close", () => upstreamClosed());
  });
  const gateway = await startGateway({
    services: { hang: { protocol: "http", targets: [hanging.origin] } },
    routes: [{ id: "all", upstream: { service: "hang" } }],
  });
  try {
    const controller = new AbortController();
    const pending = request(`${gateway.url}/wait`, { signal: controller.signal }).catch((error: Error) => error);
    await waitFor(() => hanging.received.length > 0, "the upstream to receive the request");
    controller.abort();
    await pending;
    let cancelled = false;
    void closed.then(() => (cancelled = true));
    await waitFor(() => cancelled, "the upstream request to be cancelled", 2000);
  } finally {
    await gateway.stop();
    await hanging.close();
  }
});

test("request bodies stream: the upstream answers after the first chunk while the caller is still sending", async () => {
  const { createServer: createHttpServer } = await import("node:http");
  const upstream = createHttpServer((req, res) => {
    req.once("data", (chunk: Buffer) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`first:${chunk.toString().slice(0, 5)}`);
      req.resume();
    });
  }).listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const gateway = await startGateway({
    // Small bodies are received whole by default (bufferBodyBytes); 0 streams every body.
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, bufferBodyBytes: 0 }],
    services: { stream: { protocol: "http", targets: [`http://127.0.0.1:${(upstream.address() as { port: number }).port}`] } },
    routes: [{ id: "all", upstream: { service: "stream" } }],
  });
  try {
    // The second chunk is only produced once the response has arrived: a buffering gateway would deadlock.
    let answered: (value: unknown) => void;
    const gotResponse = new Promise((resolve) => (answered = resolve));
    async function* body() {
      yield Buffer.from("hello-1");
      await gotResponse;
      yield Buffer.from("hello-2");
    }
    const response = await request(`${gateway.url}/upload`, { method: "POST", body: Readable.from(body()) });
    answered!(undefined);
    assert.is(response.statusCode, 200);
    assert.is(await response.body.text(), "first:hello");
  } finally {
    await gateway.stop();
    upstream.closeAllConnections();
    upstream.close();
  }
});

test("a large response streams through with its bytes intact", async () => {
  const big = Buffer.alloc(8 * 1024 * 1024, 7);
  big.write("start");
  const upstream = await startUpstream((_req, res) => res.writeHead(200, { "content-length": big.length }).end(big));
  const gateway = await startGateway({
    services: { big: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "all", upstream: { service: "big" } }],
  });
  try {
    const response = await request(`${gateway.url}/big`);
    const received = Buffer.from(await response.body.arrayBuffer());
    assert.is(received.length, big.length);
    assert.ok(received.equals(big));
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("an upstream that resets the connection before answering → 503; after the head → the caller's connection is cut, never a short 200", async () => {
  const flaky = await startUpstream((req, res) => {
    if (req.url === "/before") return void req.socket.destroy();
    res.writeHead(200, { "content-type": "text/plain", "content-length": 1000 });
    // Cut once the head and the first bytes are on the wire.
    res.write("only part of it", () => req.socket.destroy());
  });
  const gateway = await startGateway({
    services: { flaky: { protocol: "http", targets: [flaky.origin], retries: 0 } },
    routes: [{ id: "all", upstream: { service: "flaky" } }],
  });
  try {
    const before = await request(`${gateway.url}/before`);
    assert.is(before.statusCode, 503);
    assert.match(((await before.body.json()) as { message: string }).message, /closed the connection/);
    const after = await request(`${gateway.url}/after`);
    assert.is(after.statusCode, 200);
    const outcome = await after.body.text().then(
      () => "complete",
      (error: Error) => `failed: ${error.name}`,
    );
    assert.match(outcome, /^failed/);
  } finally {
    await gateway.stop();
    await flaky.close();
  }
});

test.run();
