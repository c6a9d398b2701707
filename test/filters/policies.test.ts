import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";
import { wsClient } from "../helpers/frame-clients.js";
import { httpCall } from "../helpers/http-call.js";

/**
 * rate-limit (memory), ip-filter and cors over real sockets: an HTTP
 * listener (one trusting 127.0.0.1 as a proxy, one not) and a WebSocket
 * listener, in front of a real node:http upstream.
 */
interface Context {
  upstream: TestUpstream;
  gateway: TestGateway;
  port: (name: string) => number;
}
const policies = suite<Context>("policies over HTTP and WebSocket");

policies.before(async (context) => {
  context.upstream = await startUpstream((req, res) => {
    const text = JSON.stringify({ forwardedFor: req.headers["x-forwarded-for"] ?? null });
    res.writeHead(req.url === "/fail" ? 500 : 200, { "content-type": "application/json", "x-request-id": "r1", "access-control-allow-origin": "https://evil.example" }).end(text);
  });
  context.gateway = await startGateway({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
      { name: "behind-proxy", protocol: "http", host: "127.0.0.1", port: 0, trustedProxies: ["127.0.0.1", "10.1.0.0/16"] },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0 },
    ],
    admin: { port: 0 },
    services: { up: { protocol: "http", targets: [context.upstream.origin] } },
    routes: [
      { id: "limited", match: { path: "/limited" }, filters: [{ "rate-limit": { rate: 3, per: "1h", key: "header:x-client" } }], upstream: { service: "up", path: "/" } },
      { id: "limited-fail", match: { path: "/fail" }, filters: [{ "rate-limit": { rate: 10, per: "1s", key: "route" } }], upstream: { service: "up" } },
      { id: "by-ip", match: { path: "/by-ip" }, filters: [{ "rate-limit": { rate: 1, per: "1h", burst: 1, key: "ip" } }], upstream: { service: "up", path: "/" } },
      { id: "loopback-only", match: { path: "/loopback-only" }, filters: [{ "ip-filter": { allow: ["127.0.0.0/8", "::1"] } }], upstream: { service: "up", path: "/" } },
      { id: "no-loopback", match: { path: "/no-loopback" }, filters: [{ "ip-filter": { deny: ["127.0.0.1", "::ffff:127.0.0.0/104"] } }], upstream: { service: "up", path: "/" } },
      {
        id: "office",
        match: { path: "/office" },
        filters: [{ "ip-filter": { allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.9.0.0/16", "2001:db8:bad::/48"] } }],
        upstream: { service: "up", path: "/" },
      },
      {
        id: "cors",
        match: { path: "/cors/**" },
        filters: [
          {
            cors: {
              origins: ["https://app.example.com", "https://*.example.org"],
              methods: ["GET", "POST"],
              headers: ["authorization", "content-type"],
              exposeHeaders: ["x-request-id"],
              credentials: true,
              maxAge: "10m",
            },
          },
        ],
        upstream: { service: "up", path: "/" },
      },
    ],
  });
  context.port = (name) => context.gateway.gateway.listeners.find((listener) => listener.name === name)!.address().port;
});

policies.after(async ({ gateway, upstream }) => {
  await gateway.stop();
  await upstream.close();
});

policies("rate-limit over HTTP: burst then 429 with Retry-After; RateLimit-* on every reply; keys apart", async ({ port }) => {
  const web = port("web");
  const replies = [];
  for (let index = 0; index < 4; index++) replies.push(await httpCall(web, { path: "/limited", headers: { "x-client": "http-a" } }));
  assert.equal(
    replies.map((reply) => reply.status),
    [200, 200, 200, 429],
  );
  assert.equal(
    replies.map((reply) => reply.headers["ratelimit-remaining"]),
    ["2", "1", "0", "0"],
  );
  for (const reply of replies) assert.is(reply.headers["ratelimit-limit"], "3");
  // A token every 20 minutes: the first reply is one token from full, the refused one one token from its next.
  assert.is(replies[0]!.headers["ratelimit-reset"], "1200");
  assert.is(replies[3]!.headers["retry-after"], "1200");
  assert.is(replies[0]!.headers["retry-after"], undefined);
  const status = JSON.parse(replies[3]!.body) as { code: number; message: string };
  assert.is(status.code, 8); // RESOURCE_EXHAUSTED
  assert.match(status.message, /rate limit exceeded/);
  const other = await httpCall(web, { path: "/limited", headers: { "x-client": "http-b" } });
  assert.is(other.status, 200, "another header value has its own bucket");
});

policies("rate-limit refusals are counted in rosetta_rate_limited_total{route}", async ({ gateway, port }) => {
  const web = port("web");
  for (let index = 0; index < 4; index++) await httpCall(web, { path: "/limited", headers: { "x-client": "metrics" } });
  const metrics = await httpCall(gateway.gateway.admin!.address().port, { path: "/metrics" });
  const count = /^rosetta_rate_limited_total\{route="limited"\} (\d+)$/m.exec(metrics.body);
  assert.ok(count !== null, "the counter has a series for the route");
  assert.ok(Number(count![1]) >= 1);
});

policies("rate-limit: an upstream's error reply carries the RateLimit-* headers too", async ({ port }) => {
  const reply = await httpCall(port("web"), { path: "/fail" });
  assert.is(reply.status, 500);
  assert.is(reply.headers["ratelimit-limit"], "10");
  assert.ok(reply.headers["ratelimit-remaining"] !== undefined);
});

policies("rate-limit over WebSocket frames: the same bucket rules, RateLimit-* and Retry-After as frame headers", async ({ port }) => {
  const client = await wsClient(`ws://127.0.0.1:${port("ws")}/`);
  try {
    const statuses: number[] = [];
    let last: Record<string, unknown> = {};
    for (let index = 0; index < 4; index++) {
      const [frame] = await client.call({ id: `l${index}`, method: "GET", path: "/limited", headers: { "x-client": "ws-a" } });
      statuses.push(frame!.status as number);
      last = frame!;
      if (index === 0) assert.is((frame!.headers as Record<string, string>)["ratelimit-remaining"], "2");
    }
    assert.equal(statuses, [200, 200, 200, 429]);
    const headers = last.headers as Record<string, string>;
    assert.is(headers["retry-after"], "1200");
    assert.is(headers["ratelimit-limit"], "3");
    assert.is((last.body as { code: number }).code, 8);
  } finally {
    await client.close();
  }
});

policies("rate-limit key ip: behind a trusted proxy each X-Forwarded-For client has its own bucket; elsewhere the header is ignored", async ({ port }) => {
  const proxied = port("behind-proxy");
  const first = await httpCall(proxied, { path: "/by-ip", headers: { "x-forwarded-for": "203.0.113.7" } });
  const again = await httpCall(proxied, { path: "/by-ip", headers: { "x-forwarded-for": "203.0.113.7" } });
  // The client is the nearest untrusted hop: 10.1.2.3 is a trusted proxy, 198.51.100.9 the client.
  const chained = await httpCall(proxied, { path: "/by-ip", headers: { "x-forwarded-for": "1.1.1.1, 198.51.100.9, 10.1.2.3" } });
  assert.is(first.status, 200);
  assert.is(again.status, 429);
  assert.is(chained.status, 200);
  assert.is(JSON.parse(first.body).forwardedFor, "203.0.113.7, 127.0.0.1");
  // On the listener that trusts nobody, both spoofed addresses are the one socket peer.
  const web = port("web");
  const spoofA = await httpCall(web, { path: "/by-ip", headers: { "x-forwarded-for": "192.0.2.1" } });
  const spoofB = await httpCall(web, { path: "/by-ip", headers: { "x-forwarded-for": "192.0.2.2" } });
  assert.equal([spoofA.status, spoofB.status], [200, 429]);
});

policies("ip-filter over HTTP: allow, deny (IPv4-mapped rule), and deny winning behind a trusted proxy", async ({ port }) => {
  const web = port("web");
  assert.is((await httpCall(web, { path: "/loopback-only" })).status, 200);
  const denied = await httpCall(web, { path: "/no-loopback" });
  assert.is(denied.status, 403);
  assert.is((JSON.parse(denied.body) as { code: number }).code, 7); // PERMISSION_DENIED
  const proxied = port("behind-proxy");
  const cases: Array<[string, number]> = [
    ["10.2.3.4", 200],
    ["10.9.3.4", 403],
    ["192.0.2.1", 403],
    ["2001:db8:1::5", 200],
    ["2001:db8:bad::5", 403],
    ["::ffff:10.2.3.4", 200],
  ];
  for (const [client, expected] of cases) {
    const reply = await httpCall(proxied, { path: "/office", headers: { "x-forwarded-for": client } });
    assert.is(reply.status, expected, client);
  }
});

policies("ip-filter over WebSocket frames: 403 PERMISSION_DENIED as the frame status", async ({ port }) => {
  const client = await wsClient(`ws://127.0.0.1:${port("ws")}/`);
  try {
    const [allowed] = await client.call({ id: "a", method: "GET", path: "/loopback-only" });
    const [denied] = await client.call({ id: "d", method: "GET", path: "/no-loopback" });
    assert.is(allowed!.status, 200);
    assert.is(denied!.status, 403);
    assert.is((denied!.body as { code: number }).code, 7);
  } finally {
    await client.close();
  }
});

const preflight = (origin: string, method = "POST", requestHeaders?: string) => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": method, ...(requestHeaders === undefined ? {} : { "access-control-request-headers": requestHeaders }) },
});

policies("cors over HTTP: preflight and actual requests, table", async ({ port, upstream }) => {
  const web = port("web");
  const before = upstream.received.length;
  const rows: Array<{ what: string; method: string; headers: Record<string, string>; status: number; expect: Record<string, string | undefined> }> = [
    {
      what: "preflight from the exact origin",
      ...preflight("https://app.example.com", "POST", "authorization"),
      status: 204,
      expect: {
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "600",
        vary: "Origin",
      },
    },
    {
      what: "preflight from a pattern origin",
      ...preflight("https://eu.shop.example.org"),
      status: 204,
      expect: { "access-control-allow-origin": "https://eu.shop.example.org", vary: "Origin" },
    },
    {
      what: "preflight from a disallowed origin: 204 without CORS headers",
      ...preflight("https://example.org.evil.com"),
      status: 204,
      expect: { "access-control-allow-origin": undefined, "access-control-allow-methods": undefined, "access-control-allow-credentials": undefined, vary: "Origin" },
    },
    {
      what: "the pattern needs a label before the domain",
      ...preflight("https://example.org"),
      status: 204,
      expect: { "access-control-allow-origin": undefined },
    },
    {
      what: "actual request from an allowed origin: the upstream's own CORS header is replaced",
      method: "GET",
      headers: { origin: "https://app.example.com" },
      status: 200,
      expect: {
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-request-id",
        "access-control-allow-methods": undefined,
        vary: "Origin",
      },
    },
    {
      what: "actual request from a disallowed origin: no CORS headers at all",
      method: "GET",
      headers: { origin: "https://evil.example" },
      status: 200,
      expect: { "access-control-allow-origin": undefined, "access-control-expose-headers": undefined, vary: "Origin" },
    },
    {
      what: "no Origin: still Vary: Origin, for caches",
      method: "GET",
      headers: {},
      status: 200,
      expect: { "access-control-allow-origin": undefined, vary: "Origin" },
    },
  ];
  for (const row of rows) {
    const reply = await httpCall(web, { method: row.method, path: "/cors/x", headers: row.headers });
    assert.is(reply.status, row.status, row.what);
    for (const [name, value] of Object.entries(row.expect)) assert.is(reply.headers[name], value, `${row.what}: ${name}`);
    if (row.method === "OPTIONS") assert.is(reply.body, "", `${row.what}: empty body`);
  }
  assert.is(upstream.received.length - before, 3, "preflights never reach the upstream");
});

policies("cors over WebSocket frames: a preflight frame is answered 204 with CORS headers", async ({ port }) => {
  const client = await wsClient(`ws://127.0.0.1:${port("ws")}/`);
  try {
    const [reply] = await client.call({ id: "p", method: "OPTIONS", path: "/cors/x", headers: { origin: "https://app.example.com", "access-control-request-method": "GET" } });
    assert.is(reply!.status, 204);
    assert.is((reply!.headers as Record<string, string>)["access-control-allow-origin"], "https://app.example.com");
    const [actual] = await client.call({ id: "g", method: "GET", path: "/cors/x", headers: { origin: "https://app.example.com" } });
    assert.is(actual!.status, 200);
    assert.is((actual!.headers as Record<string, string>)["access-control-allow-origin"], "https://app.example.com");
  } finally {
    await client.close();
  }
});

policies.run();

const globalCors = suite<{ gateway: TestGateway }>("a global cors answers preflights before routing");

globalCors.before(async (context) => {
  context.gateway = await startGateway({ filters: [{ cors: { origins: ["*"] } }] });
});

globalCors.after(async ({ gateway }) => {
  await gateway.stop();
});

globalCors("preflight on a path no route takes: 204 with *, and no Vary; an actual request's 404 carries CORS headers", async ({ gateway }) => {
  const reply = await httpCall(gateway.port, { path: "/nowhere", ...preflight("https://anyone.test", "PUT", "x-custom") });
  assert.is(reply.status, 204);
  assert.is(reply.headers["access-control-allow-origin"], "*");
  assert.is(reply.headers["access-control-allow-headers"], "x-custom");
  assert.is(reply.headers.vary, "Access-Control-Request-Headers");
  const actual = await httpCall(gateway.port, { path: "/nowhere", headers: { origin: "https://anyone.test" } });
  assert.is(actual.status, 404);
  assert.is(actual.headers["access-control-allow-origin"], "*");
});

globalCors.run();
