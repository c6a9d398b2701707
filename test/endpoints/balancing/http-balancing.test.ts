import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { waitFor } from "../../helpers/wait.js";
import { startHttpTarget, type HttpTarget } from "./http-targets.js";

function gatewayFor(service: Record<string, unknown>): Promise<TestGateway> {
  return startGateway({ services: { orders: { protocol: "http", ...service } }, routes: [{ id: "all", upstream: { service: "orders" } }] });
}

async function call(gateway: TestGateway, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await request(`${gateway.url}/orders`, { headers });
  return { status: response.statusCode, text: await response.body.text() };
}

async function calls(gateway: TestGateway, count: number, headers: Record<string, string> = {}): Promise<Array<{ status: number; text: string }>> {
  const results: Array<{ status: number; text: string }> = [];
  // Ten at a time: quick, yet never more in flight than the upstreams expect.
  for (let index = 0; index < count; index += 10) results.push(...(await Promise.all(Array.from({ length: Math.min(10, count - index) }, () => call(gateway, headers)))));
  return results;
}

async function withTargets(names: string[], body: (targets: HttpTarget[]) => Promise<void>): Promise<void> {
  const targets = await Promise.all(names.map(startHttpTarget));
  try {
    await body(targets);
  } finally {
    await Promise.all(targets.map((target) => target.stop().catch(() => {})));
  }
}

const healthCheck = { interval: "50ms", timeout: "2s", healthyThreshold: 2, unhealthyThreshold: 2 };
// Passive ejection out of the way, so only the active checker can take a target out.
const noEjection = { ejection: { consecutiveFailures: 1_000_000 }, retries: 0 };

test("round-robin is smooth weighted: weights 1 and 3 get a quarter and three quarters, counted at the upstreams", () =>
  withTargets(["a", "b"], async ([a, b]) => {
    const gateway = await gatewayFor({ targets: [a!.origin, { url: b!.origin, weight: 3 }] });
    try {
      const results = await calls(gateway, 200);
      assert.ok(results.every((result) => result.status === 200));
      assert.ok(Math.abs(a!.hits - 50) <= 2 && Math.abs(b!.hits - 150) <= 2, `a ${a!.hits}, b ${b!.hits}`);
    } finally {
      await gateway.stop();
    }
  }));

test("random respects weights within a statistical tolerance", () =>
  withTargets(["a", "b"], async ([a, b]) => {
    const gateway = await gatewayFor({
      targets: [
        { url: a!.origin, weight: 1 },
        { url: b!.origin, weight: 3 },
      ],
      loadBalancer: "random",
    });
    try {
      await calls(gateway, 400);
      // Expected 100 of 400 (σ ≈ 8.7): ±40 is more than four σ.
      assert.ok(a!.hits >= 60 && a!.hits <= 140 && a!.hits + b!.hits === 400, `a ${a!.hits}, b ${b!.hits}`);
    } finally {
      await gateway.stop();
    }
  }));

test("least-request with unequal weights shares idle traffic by weight", () =>
  withTargets(["a", "b"], async ([a, b]) => {
    const gateway = await gatewayFor({
      targets: [
        { url: a!.origin, weight: 1 },
        { url: b!.origin, weight: 3 },
      ],
      loadBalancer: "least-request",
    });
    try {
      for (let index = 0; index < 100; index++) await call(gateway);
      assert.ok(Math.abs(a!.hits - 25) <= 3, `a ${a!.hits}, b ${b!.hits}`);
    } finally {
      await gateway.stop();
    }
  }));

test("least-request prefers the idle target: a target holding calls gets no more while the other is free", () =>
  withTargets(["busy", "idle"], async ([busy, idle]) => {
    busy!.hold = true;
    const gateway = await gatewayFor({ targets: [busy!.origin, idle!.origin], loadBalancer: "least-request", timeout: "30s" });
    const held: Array<Promise<unknown>> = [];
    try {
      for (let index = 0; index < 30; index++) {
        const [busyBefore, idleBefore] = [busy!.hits, idle!.hits];
        const pending = call(gateway);
        await waitFor(() => busy!.hits > busyBefore || idle!.hits > idleBefore, "the call to reach an upstream");
        // A call the busy target got stays in flight; one the idle target got is over before the next.
        if (busy!.hits > busyBefore) held.push(pending);
        else await pending;
      }
      // Only a first call, when both were idle, may land on the busy target.
      assert.ok(busy!.hits <= 1, `busy ${busy!.hits}, idle ${idle!.hits}`);
      assert.ok(idle!.hits >= 29);
    } finally {
      busy!.release();
      await Promise.all(held);
      await gateway.stop();
    }
  }));

async function placement(gateway: TestGateway, users: number): Promise<Map<string, string>> {
  const placed = new Map<string, string>();
  for (let index = 0; index < users; index += 10) {
    const batch = Array.from({ length: Math.min(10, users - index) }, (_, offset) => `user-${index + offset}`);
    const results = await Promise.all(batch.map((user) => call(gateway, { "x-user-id": user })));
    results.forEach((result, offset) => {
      assert.is(result.status, 200, `${batch[offset]}: ${result.text}`);
      placed.set(batch[offset]!, result.text);
    });
  }
  return placed;
}

test("consistent-hash by header: each key sticks to a target; a target going away moves only its own keys", () =>
  withTargets(["a", "b", "c"], async (targets) => {
    const [a, b, c] = targets;
    const service = { loadBalancer: { "consistent-hash": { key: "header:X-User-Id" } }, healthCheck, ...noEjection };
    const gateway = await gatewayFor({ targets: targets.map((target) => target.origin), ...service });
    try {
      const first = await placement(gateway, 300);
      const again = await placement(gateway, 300);
      assert.equal([...again], [...first], "the same key goes to the same target");
      const share = (name: string, placed: Map<string, string>) => [...placed.values()].filter((value) => value === name).length;
      for (const name of ["a", "b", "c"]) assert.ok(share(name, first) >= 40, `${name} owns ${share(name, first)} of 300 keys`);
      // c dies; the health check takes it out and its keys move, the others' stay.
      await c!.stop();
      // Wait on keys c owned: other keys answer 200 before the health check has taken c out.
      const keysOfC = [...first]
        .filter(([, owner]) => owner === "c")
        .map(([user]) => user)
        .slice(0, 10);
      await waitFor(async () => (await Promise.all(keysOfC.map((user) => call(gateway, { "x-user-id": user })))).every((result) => result.status === 200), "c to leave rotation", 10_000);
      const after = await placement(gateway, 300);
      for (const [user, owner] of first) {
        if (owner === "c") assert.ok(after.get(user) === "a" || after.get(user) === "b", `${user} moved to ${after.get(user)}`);
        else assert.is(after.get(user), owner, `${user} stayed on ${owner}`);
      }
      const moved = [...first].filter(([, owner]) => owner === "c").map(([user]) => after.get(user));
      assert.ok(moved.includes("a") && moved.includes("b"), "c's keys spread over the others");
      // A config without c places the remaining keys exactly as before.
      const smaller = await gatewayFor({ targets: [a!.origin, b!.origin], ...service });
      try {
        assert.equal([...(await placement(smaller, 300))], [...after]);
      } finally {
        await smaller.stop();
      }
    } finally {
      await gateway.stop();
    }
  }));

test("consistent-hash by ip sticks every call from one client to one target", () =>
  withTargets(["a", "b", "c"], async (targets) => {
    const gateway = await gatewayFor({ targets: targets.map((target) => target.origin), loadBalancer: { "consistent-hash": { key: "ip" } } });
    try {
      await calls(gateway, 30);
      assert.equal(targets.map((target) => target.hits).sort(), [0, 0, 30]);
    } finally {
      await gateway.stop();
    }
  }));

test("a killed target is taken out by the health check, and back in after it restarts", () =>
  withTargets(["a", "b"], async ([a, b]) => {
    const gateway = await gatewayFor({ targets: [a!.origin, b!.origin], healthCheck, ...noEjection });
    try {
      await b!.stop();
      await waitFor(async () => (await calls(gateway, 10)).every((result) => result.status === 200), "b to leave rotation", 10_000);
      const served = a!.hits;
      assert.ok((await calls(gateway, 20)).every((result) => result.status === 200 && result.text === "a"));
      assert.is(a!.hits, served + 20);
      await b!.restart();
      const hitsBefore = b!.hits;
      await waitFor(async () => (await calls(gateway, 4)) && b!.hits > hitsBefore, "b to come back", 10_000);
    } finally {
      await gateway.stop();
    }
  }));

test("a target whose /healthz answers outside expectStatus leaves rotation though it still serves, and returns when it passes", () =>
  withTargets(["a", "b"], async ([a, b]) => {
    b!.healthStatus = 503;
    const gateway = await gatewayFor({ targets: [a!.origin, b!.origin], healthCheck: { ...healthCheck, expectStatus: "200-299" }, ...noEjection });
    try {
      await waitFor(() => b!.checks >= 3, "b to fail its checks");
      const before = b!.hits;
      await calls(gateway, 20);
      assert.is(b!.hits, before, "no call went to b");
      b!.healthStatus = 204;
      const checks = b!.checks;
      await waitFor(() => b!.checks >= checks + 3, "b to pass its checks");
      await calls(gateway, 20);
      assert.ok(b!.hits > before);
    } finally {
      await gateway.stop();
    }
  }));

test("every target unhealthy, whenAllUnhealthy: all (the default) fails open to all of them", () =>
  withTargets(["a", "b"], async ([a, b]) => {
    a!.healthStatus = 500;
    b!.healthStatus = 500;
    const gateway = await gatewayFor({ targets: [a!.origin, b!.origin], healthCheck, ...noEjection });
    try {
      await waitFor(() => a!.checks >= 3 && b!.checks >= 3, "both to fail their checks");
      const results = await calls(gateway, 20);
      assert.ok(results.every((result) => result.status === 200));
      assert.ok(a!.hits > 0 && b!.hits > 0, `a ${a!.hits}, b ${b!.hits}`);
    } finally {
      await gateway.stop();
    }
  }));

test("every target unhealthy, whenAllUnhealthy: none answers 503 UNAVAILABLE without calling any", () =>
  withTargets(["a", "b"], async ([a, b]) => {
    a!.healthStatus = 500;
    b!.healthStatus = 500;
    const gateway = await gatewayFor({ targets: [a!.origin, b!.origin], healthCheck: { ...healthCheck, whenAllUnhealthy: "none" }, ...noEjection });
    try {
      await waitFor(() => a!.checks >= 3 && b!.checks >= 3, "both to fail their checks");
      const before = a!.hits + b!.hits;
      const response = await request(`${gateway.url}/orders`, { headers: { accept: "application/json" } });
      assert.is(response.statusCode, 503);
      const body = (await response.body.json()) as { code?: number | string; message?: string };
      assert.match(JSON.stringify(body), /no healthy target/);
      assert.is(a!.hits + b!.hits, before);
      // One comes back: traffic flows again.
      b!.healthStatus = 200;
      await waitFor(async () => (await call(gateway)).status === 200, "b to come back", 10_000);
    } finally {
      await gateway.stop();
    }
  }));

test.run();
