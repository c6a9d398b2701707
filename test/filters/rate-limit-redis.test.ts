import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Agent } from "node:http";
import { Redis } from "ioredis";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";
import { startRedis, type TestRedis } from "../helpers/redis-server.js";
import { wsClient } from "../helpers/frame-clients.js";
import { httpCall } from "../helpers/http-call.js";
import { waitFor } from "../helpers/wait.js";

/**
 * rate-limit with store: redis against a real redis-server started here on a
 * free port: two gateway instances sharing one limit, Redis killed mid-load
 * in both fail modes, Redis made slow (DEBUG SLEEP) so decisions time out.
 */
const shared = suite<{ upstream: TestUpstream }>("rate-limit store: redis");

shared.before(async (context) => {
  context.upstream = await startUpstream((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok"));
});

shared.after(async ({ upstream }) => {
  await upstream.close();
});

function gatewayConfig(redis: TestRedis, origin: string, limit: Record<string, unknown>): Record<string, unknown> {
  return {
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0 },
    ],
    redis: { url: redis.url, keyPrefix: "test:" },
    services: { up: { protocol: "http", targets: [origin] } },
    routes: [{ id: "limited", filters: [{ "rate-limit": { store: "redis", key: "route", ...limit } }], upstream: { service: "up", path: "/" } }],
  };
}

/** Calls in closed loops on `connections` keep-alive connections until `until()`; counts statuses. */
async function load(port: number, connections: number, until: () => boolean, statuses: Map<number, number>, slowest: { ms: number }): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (!until()) {
          const started = performance.now();
          const reply = await httpCall(port, { path: "/x", agent, timeoutMs: 10_000 });
          slowest.ms = Math.max(slowest.ms, performance.now() - started);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
}

shared("two gateway instances share one limit: never more than 5 % over burst + rate × time", async ({ upstream }) => {
  const redis = await startRedis();
  // A limit far below what even a starved test process offers (a loaded machine gave ~160 requests/s), so the load always exceeds it.
  const limit = { rate: 40, per: "1s", burst: 10 };
  const instances: TestGateway[] = [];
  try {
    instances.push(await startGateway(gatewayConfig(redis, upstream.origin, limit)), await startGateway(gatewayConfig(redis, upstream.origin, limit)));
    const statuses = new Map<number, number>();
    const slowest = { ms: 0 };
    const durationMs = 2500;
    const started = performance.now();
    const until = () => performance.now() - started >= durationMs;
    await Promise.all(instances.map((instance) => load(instance.port, 6, until, statuses, slowest)));
    const elapsed = performance.now() - started;
    const allowed = statuses.get(200) ?? 0;
    const refused = statuses.get(429) ?? 0;
    const expected = limit.burst + (limit.rate * elapsed) / 1000;
    console.log(`    2 instances, ${elapsed.toFixed(0)} ms: ${allowed} allowed (expected ${expected.toFixed(1)}, ${((100 * (allowed - expected)) / expected).toFixed(2)} %), ${refused} refused`);
    assert.equal([...statuses.keys()].sort(), [200, 429], "only 200 and 429");
    assert.ok(refused > allowed, "the load offered more than the limit");
    // Never more than 5 % over. Under it, the load generator may be to blame: a test process starved of CPU
    // on a shared machine offers nothing for a while and the bucket caps its refill at the burst.
    assert.ok(allowed <= 1.05 * expected, `${allowed} allowed, expected at most ${expected.toFixed(1)} + 5 %`);
    // 60 %, not closer: on a loaded machine this process can be starved for a good part of the window.
    assert.ok(allowed >= 0.6 * expected, `${allowed} allowed, expected at least ${expected.toFixed(1)} − 40 %`);
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    await redis.kill();
  }
});

shared("failMode open: Redis killed mid-load → requests keep being served; Redis back → limited again (the script is reloaded)", async ({ upstream }) => {
  let redis = await startRedis();
  const gateway = await startGateway(gatewayConfig(redis, upstream.origin, { rate: 1, per: "1h", burst: 2, failMode: "open" }));
  try {
    const first = [await httpCall(gateway.port, { path: "/x" }), await httpCall(gateway.port, { path: "/x" }), await httpCall(gateway.port, { path: "/x" })];
    assert.equal(
      first.map((reply) => reply.status),
      [200, 200, 429],
    );
    const statuses = new Map<number, number>();
    const slowest = { ms: 0 };
    let stop = false;
    const running = load(gateway.port, 4, () => stop, statuses, slowest);
    await waitFor(() => (statuses.get(429) ?? 0) >= 20, "refusals before the outage", 10_000);
    await redis.kill();
    const atKill = statuses.get(200) ?? 0;
    await waitFor(() => (statuses.get(200) ?? 0) >= atKill + 50, "requests served while Redis is down", 10_000);
    stop = true;
    await running;
    assert.equal(
      [...statuses.keys()].filter((status) => status !== 200 && status !== 429),
      [],
      "no other status during the outage",
    );
    redis = await startRedis(redis.port);
    // ioredis reconnects within half a second; the new Redis has no script cached (NOSCRIPT → EVAL) and fresh buckets.
    await waitFor(async () => (await httpCall(gateway.port, { path: "/x" })).status === 429, "the limit enforced again", 10_000);
  } finally {
    await gateway.stop();
    await redis.kill();
  }
});

shared("failMode closed: Redis killed mid-load → 503 UNAVAILABLE at once, over HTTP and WebSocket frames", async ({ upstream }) => {
  const redis = await startRedis();
  const gateway = await startGateway(gatewayConfig(redis, upstream.origin, { rate: 1000, per: "1s", failMode: "closed", timeout: "50ms" }));
  try {
    assert.is((await httpCall(gateway.port, { path: "/x" })).status, 200);
    const statuses = new Map<number, number>();
    const slowest = { ms: 0 };
    let stop = false;
    const running = load(gateway.port, 4, () => stop, statuses, slowest);
    await waitFor(() => (statuses.get(200) ?? 0) >= 20, "requests served before the outage", 10_000);
    await redis.kill();
    await waitFor(() => (statuses.get(503) ?? 0) >= 50, "503s while Redis is down", 10_000);
    stop = true;
    await running;
    const started = performance.now();
    const reply = await httpCall(gateway.port, { path: "/x" });
    const took = performance.now() - started;
    assert.is(reply.status, 503);
    assert.is((JSON.parse(reply.body) as { code: number }).code, 14); // UNAVAILABLE
    // Redis down is known at once (no offline queue), so this is far below the timeout; the bound is generous for a loaded machine.
    console.log(`    failMode closed, Redis down: 503 in ${took.toFixed(1)} ms`);
    assert.ok(took < 1000, `503 took ${took} ms`);
    const ws = await wsClient(`ws://127.0.0.1:${gateway.gateway.listeners[1]!.address().port}/`);
    try {
      const [frame] = await ws.call({ id: "1", method: "GET", path: "/x" });
      assert.is(frame!.status, 503);
    } finally {
      await ws.close();
    }
  } finally {
    await gateway.stop();
    await redis.kill();
  }
});

shared("Redis slow (DEBUG SLEEP 2): decisions time out after `timeout` → closed answers 503, open serves", async ({ upstream }) => {
  const redis = await startRedis();
  const closed = await startGateway(gatewayConfig(redis, upstream.origin, { rate: 1000, per: "1s", failMode: "closed", timeout: "100ms" }));
  const open = await startGateway(gatewayConfig(redis, upstream.origin, { rate: 1000, per: "1s", failMode: "open", timeout: "100ms" }));
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  const probe = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  try {
    assert.is((await httpCall(closed.port, { path: "/x" })).status, 200);
    assert.is((await httpCall(open.port, { path: "/x" })).status, 200);
    await Promise.all([admin.ping(), probe.ping()]);
    const sleeping = admin.call("DEBUG", "SLEEP", "2");
    // Asleep once a PING on another (connected) connection gets no answer for 300 ms.
    const asleep = await Promise.race([probe.ping().then(() => false), new Promise<boolean>((resolve) => setTimeout(resolve, 300, true))]);
    assert.ok(asleep, "Redis is asleep");
    const started = performance.now();
    const [refused, served] = await Promise.all([httpCall(closed.port, { path: "/x" }), httpCall(open.port, { path: "/x" })]);
    const took = performance.now() - started;
    await sleeping;
    console.log(`    Redis asleep for 2 s, timeout 100ms: closed → ${refused.status}, open → ${served.status}, both within ${took.toFixed(0)} ms`);
    assert.is(refused.status, 503);
    assert.is(served.status, 200);
    assert.ok(took < 1500, `answers came after ${took} ms: they waited for Redis instead of timing out`);
  } finally {
    admin.disconnect();
    probe.disconnect();
    await Promise.all([closed.stop(), open.stop()]);
    await redis.kill();
  }
});

shared.run();
