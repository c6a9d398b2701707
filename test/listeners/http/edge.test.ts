import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { rawRequest } from "../../helpers/raw-http.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";

const edge = suite<{ upstream: TestUpstream; gateway: TestGateway; trusting: TestGateway }>("http listener edge rules");

edge.before(async (context) => {
  context.upstream = await startUpstream();
  const services = { echo: { protocol: "http", targets: [context.upstream.origin] } };
  const routes = [{ id: "all", upstream: { service: "echo" } }];
  context.gateway = await startGateway({
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, maxHeaderCount: 20, maxBodyBytes: 1024 }],
    services,
    routes,
  });
  context.trusting = await startGateway({
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, trustedProxies: ["127.0.0.0/8"] }],
    services,
    routes,
  });
});

edge.after(async ({ upstream, gateway, trusting }) => {
  await Promise.all([gateway.stop(), trusting.stop()]);
  await upstream.close();
});

edge("more headers than maxHeaderCount → 431 in the status shape, never silently dropped", async ({ gateway, upstream }) => {
  const before = upstream.received.length;
  const headers = Array.from({ length: 25 }, (_, index) => `x-h${index}: ${index}\r\n`).join("");
  const response = await rawRequest(gateway.port, `GET /x HTTP/1.1\r\nhost: a\r\n${headers}\r\n`);
  assert.is(response.status, 431);
  assert.equal(JSON.parse(response.body), { code: 8, message: "more than 20 request headers", details: [] });
  assert.is(upstream.received.length, before, "the upstream never saw it");
});

edge("more than 1 000 headers (Node's own silent cap) → 431", async ({ trusting }) => {
  const headers = Array.from({ length: 1200 }, (_, index) => `x-${index}: 1\r\n`).join("");
  const response = await rawRequest(trusting.port, `GET /x HTTP/1.1\r\nhost: a\r\n${headers}\r\n`);
  assert.is(response.status, 431);
});

edge("header bytes beyond maxHeaderBytes → 431 with a JSON body", async ({ gateway }) => {
  const response = await rawRequest(gateway.port, `GET /x HTTP/1.1\r\nhost: a\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`);
  assert.is(response.status, 431);
  assert.is(JSON.parse(response.body).code, 8);
});

edge("Content-Length over maxBodyBytes → 413 before the body is sent", async ({ gateway, upstream }) => {
  const before = upstream.received.length;
  // Only the head is sent: a 413 proves the gateway did not wait for 1 MB of body.
  const response = await rawRequest(gateway.port, "POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 1000000\r\n\r\n");
  assert.is(response.status, 413);
  assert.is(response.headers.connection, "close");
  assert.match(JSON.parse(response.body).message, /exceeds the limit of 1024 bytes/);
  assert.is(upstream.received.length, before);
});

edge("a chunked body that grows past maxBodyBytes → 413", async ({ gateway }) => {
  const chunk = "a".repeat(600);
  const body = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`;
  const response = await rawRequest(gateway.port, `POST /x HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n${body}`);
  assert.is(response.status, 413);
});

edge("two Host headers → 400", async ({ gateway }) => {
  const response = await rawRequest(gateway.port, "GET /x HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n");
  assert.is(response.status, 400);
  assert.match(JSON.parse(response.body).message, /more than one Host/);
});

edge("absolute-form request target → 400 (not a forward proxy)", async ({ gateway, upstream }) => {
  const before = upstream.received.length;
  const response = await rawRequest(gateway.port, "GET http://169.254.169.254/latest HTTP/1.1\r\nhost: 169.254.169.254\r\n\r\n");
  assert.is(response.status, 400);
  assert.match(JSON.parse(response.body).message, /origin-form/);
  assert.is(upstream.received.length, before);
});

edge("malformed HTTP → 400 in the status shape, and the gateway keeps serving", async ({ gateway }) => {
  const response = await rawRequest(gateway.port, "GARBAGE\r\n\r\n");
  assert.is(response.status, 400);
  assert.is(JSON.parse(response.body).code, 3);
  const ok = await request(`${gateway.url}/still-up`);
  assert.is(ok.statusCode, 200);
  await ok.body.dump();
});

edge("hop-by-hop request headers never reach the upstream", async ({ gateway, upstream }) => {
  const response = await rawRequest(
    gateway.port,
    "GET /hop HTTP/1.1\r\nhost: a\r\nconnection: keep-alive, x-secret\r\nx-secret: s\r\nkeep-alive: timeout=5\r\n" +
      "te: trailers, deflate\r\nproxy-authorization: Basic eA==\r\nproxy-foo: 1\r\nupgrade: h2c\r\nx-kept: yes\r\n\r\n",
  );
  assert.is(response.status, 200);
  const seen = upstream.received.at(-1)!;
  assert.is(seen.url, "/hop");
  for (const name of ["x-secret", "keep-alive", "proxy-authorization", "proxy-foo", "upgrade"]) {
    assert.is(seen.headers[name], undefined, `${name} was forwarded`);
  }
  assert.is(seen.headers.te, "trailers");
  assert.is(seen.headers["x-kept"], "yes");
});

edge("X-Forwarded-* are rebuilt from the socket for untrusted peers", async ({ gateway, upstream }) => {
  const response = await request(`${gateway.url}/xff`, {
    headers: { "x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https", "x-forwarded-host": "evil", forwarded: "for=6.6.6.6", host: "api.test" },
  });
  await response.body.dump();
  const seen = upstream.received.at(-1)!;
  assert.is(seen.headers["x-forwarded-for"], "127.0.0.1");
  assert.is(seen.headers["x-forwarded-proto"], "http");
  assert.is(seen.headers["x-forwarded-host"], "api.test");
  assert.is(seen.headers.forwarded, undefined);
});

edge("X-Forwarded-For is extended when the peer is a trusted proxy", async ({ trusting, upstream }) => {
  const response = await request(`${trusting.url}/xff`, { headers: { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https" } });
  await response.body.dump();
  const seen = upstream.received.at(-1)!;
  assert.is(seen.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
  assert.is(seen.headers["x-forwarded-proto"], "https");
});

edge("a caller's valid request id is kept; the Host sent upstream is the target's", async ({ gateway, upstream }) => {
  const response = await request(`${gateway.url}/id`, { headers: { "x-request-id": "abc-123" } });
  await response.body.dump();
  const seen = upstream.received.at(-1)!;
  assert.is(seen.headers.host, `127.0.0.1:${upstream.port}`);
});

edge.run();
