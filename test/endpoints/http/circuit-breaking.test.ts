import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startUpstream } from "../../helpers/upstream.js";
import { waitFor } from "../../helpers/wait.js";
import { parsePrometheusText } from "../../helpers/prometheus-text.js";

async function call(gateway: TestGateway, path = "/x"): Promise<{ status: number; headers: Record<string, unknown>; body: string; ms: number }> {
  const started = performance.now();
  const response = await request(`${gateway.url}${path}`);
  const body = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body, ms: performance.now() - started };
}

/** An upstream whose answer the test switches: a status, or a hang of `delay` ms. */
async function switchable() {
  const state = { status: 503, delay: 0 };
  const upstream = await startUpstream((_req, res) => setTimeout(() => res.writeHead(state.status, { "content-length": "2" }).end("ok"), state.delay));
  return { state, upstream };
}

function gatewayFor(origins: string[], circuitBreaker: Record<string, unknown>): Promise<TestGateway> {
  return startGateway({
    // Ejection out of the way: the circuits are what is tested.
    services: { orders: { protocol: "http", targets: origins, ejection: { consecutiveFailures: 1000 }, circuitBreaker } },
    routes: [{ id: "all", upstream: { service: "orders" } }],
  });
}

test("the service circuit opens after consecutiveFailures 503s, then fails fast (503 UNAVAILABLE, Retry-After) without touching the upstream", async () => {
  const { upstream } = await switchable();
  const gateway = await gatewayFor([upstream.origin], { consecutiveFailures: 3, openFor: "30s" });
  try {
    for (let index = 0; index < 3; index++) assert.is((await call(gateway)).status, 503);
    assert.is(upstream.received.length, 3);
    assert.is(gateway.gateway.circuits().orders?.state, "open");
    const fast = await call(gateway);
    assert.is(fast.status, 503);
    assert.match(fast.body, /circuit is open/);
    assert.is(JSON.parse(fast.body).code, 14);
    assert.is(fast.headers["retry-after"], "30");
    // How fast is measured by benchmarks/circuit-fast-fail.ts (README), not asserted here: the machine is shared.
    assert.is(upstream.received.length, 3, "an open circuit sends nothing upstream");
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("4xx answers do not count as failures; a success resets the run", async () => {
  const { state, upstream } = await switchable();
  const gateway = await gatewayFor([upstream.origin], { consecutiveFailures: 2, openFor: "30s" });
  try {
    state.status = 404;
    for (let index = 0; index < 5; index++) assert.is((await call(gateway)).status, 404);
    state.status = 502;
    assert.is((await call(gateway)).status, 502);
    state.status = 200;
    assert.is((await call(gateway)).status, 200);
    state.status = 504;
    assert.is((await call(gateway)).status, 504);
    assert.is(gateway.gateway.circuits().orders?.state, "closed");
    assert.is((await call(gateway)).status, 504);
    assert.is(gateway.gateway.circuits().orders?.state, "open");
    assert.is(upstream.received.length, 9);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("half-open: after openFor one probe goes through; its success closes the circuit", async () => {
  const { state, upstream } = await switchable();
  const gateway = await gatewayFor([upstream.origin], { consecutiveFailures: 2, openFor: "300ms", halfOpenRequests: 1 });
  try {
    await call(gateway);
    await call(gateway);
    assert.is((await call(gateway)).body.includes("circuit is open"), true);
    state.status = 200;
    await waitFor(() => gateway.gateway.circuits().orders?.state === "half-open", "the circuit to turn half-open");
    assert.is((await call(gateway)).status, 200);
    assert.is(gateway.gateway.circuits().orders?.state, "closed");
    for (let index = 0; index < 3; index++) assert.is((await call(gateway)).status, 200);
    assert.is(upstream.received.length, 2 + 1 + 3);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("half-open: a failed probe opens the circuit again; only halfOpenRequests probes go through at once", async () => {
  const { state, upstream } = await switchable();
  const gateway = await gatewayFor([upstream.origin], { consecutiveFailures: 1, openFor: "300ms", halfOpenRequests: 2 });
  try {
    await call(gateway);
    assert.is(gateway.gateway.circuits().orders?.state, "open");
    await waitFor(() => gateway.gateway.circuits().orders?.state === "half-open", "the circuit to turn half-open");
    // Probes that hang a little: five callers at once, two get through.
    state.delay = 150;
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => call(gateway)));
    assert.is(upstream.received.length, 1 + 2);
    assert.is(results.filter((result) => result.body.includes("circuit is open")).length, 3);
    assert.is(gateway.gateway.circuits().orders?.state, "open");
    assert.is(gateway.gateway.circuits().orders?.timesOpened, 2);
    assert.match((await call(gateway)).body, /circuit is open/);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("maxPending bounds calls in flight: the one past it is answered 503 at once", async () => {
  const { state, upstream } = await switchable();
  state.status = 200;
  state.delay = 400;
  const gateway = await gatewayFor([upstream.origin], { maxPending: 2 });
  try {
    const slow = [call(gateway), call(gateway)];
    await waitFor(() => gateway.gateway.circuits().orders?.pending === 2, "two calls in flight");
    const refused = await call(gateway);
    assert.is(refused.status, 503);
    assert.match(refused.body, /2 calls in flight/);
    assert.equal(
      (await Promise.all(slow)).map((result) => result.status),
      [200, 200],
    );
    assert.is(gateway.gateway.circuits().orders?.pending, 0);
    assert.is(upstream.received.length, 2);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("a target's own circuit takes it out of rotation while the others serve", async () => {
  const bad = await switchable();
  const good = await switchable();
  good.state.status = 200;
  const gateway = await gatewayFor([bad.upstream.origin, good.upstream.origin], { consecutiveFailures: 2, openFor: "30s" });
  try {
    const statuses: number[] = [];
    for (let index = 0; index < 12; index++) statuses.push((await call(gateway)).status);
    assert.is(bad.upstream.received.length, 2, statuses.join(","));
    assert.is(good.upstream.received.length, 10);
    const snapshot = gateway.gateway.circuits().orders!;
    assert.equal(
      snapshot.targets.map((target) => target.state),
      ["open", "closed"],
    );
    // Failures and successes alternate at the service: its own circuit stays closed.
    assert.is(snapshot.state, "closed");
  } finally {
    await gateway.stop();
    await bad.upstream.close();
    await good.upstream.close();
  }
});

test("with a consistent hash, a key whose target's circuit opened moves to one other target (retries hash the same request), the rest of the ring stays", async () => {
  const upstreams = [await switchable(), await switchable(), await switchable()];
  for (const { state } of upstreams) state.status = 200;
  const gateway = await startGateway({
    services: {
      orders: {
        protocol: "http",
        targets: upstreams.map(({ upstream }) => upstream.origin),
        loadBalancer: { "consistent-hash": { key: "header:x-user" } },
        ejection: { consecutiveFailures: 1000 },
        circuitBreaker: { consecutiveFailures: 2, openFor: "30s" },
      },
    },
    routes: [{ id: "all", upstream: { service: "orders", retry: { attempts: 1, on: [503], backoff: "1ms" } } }],
  });
  const keyed = async () => {
    const response = await request(`${gateway.url}/x`, { headers: { "x-user": "alice" } });
    await response.body.dump();
    return response.statusCode;
  };
  const counts = () => upstreams.map(({ upstream }) => upstream.received.length);
  try {
    assert.is(await keyed(), 200);
    const owner = counts().indexOf(1);
    assert.ok(owner >= 0, String(counts()));
    upstreams[owner]!.state.status = 503;
    // Two failed tries open the owner's circuit; each is retried on the same other target.
    for (let index = 0; index < 2; index++) assert.is(await keyed(), 200);
    const afterRetries = counts();
    assert.is(afterRetries[owner], 3);
    const successor = afterRetries.findIndex((count, index) => index !== owner && count === 2);
    assert.ok(successor >= 0, `both retries on one target: ${afterRetries}`);
    assert.is(gateway.gateway.circuits().orders!.targets[owner]!.state, "open");
    for (let index = 0; index < 6; index++) assert.is(await keyed(), 200);
    const final = counts();
    assert.is(final[owner], 3, "an open circuit takes no tries");
    assert.is(final[successor], 8, `the key sticks to one target while its own is out: ${final}`);
    assert.is(
      final.reduce((sum, count) => sum + count, 0),
      11,
    );
    assert.is(gateway.gateway.circuits().orders!.state, "closed");
  } finally {
    await gateway.stop();
    for (const { upstream } of upstreams) await upstream.close();
  }
});

test("the admin listener shows the service circuit: /upstreams circuit and rosetta_circuit_open{service}", async () => {
  const { upstream } = await switchable();
  const gateway = await startGateway({
    admin: { port: 0 },
    services: {
      orders: { protocol: "http", targets: [upstream.origin], ejection: { consecutiveFailures: 1000 }, circuitBreaker: { consecutiveFailures: 2, openFor: "30s" } },
      plain: { protocol: "http", targets: [upstream.origin] },
    },
    routes: [{ id: "all", upstream: { service: "orders" } }],
  });
  const admin = `http://127.0.0.1:${gateway.gateway.admin!.address().port}`;
  const read = async () => {
    const upstreams = (await (await request(`${admin}/upstreams`)).body.json()) as { services: { service: string; circuit?: string }[] };
    const families = await parsePrometheusText(await (await request(`${admin}/metrics`)).body.text());
    const gauge = families.find((family) => family.name === "rosetta_circuit_open")!.samples;
    return {
      circuit: upstreams.services.find((service) => service.service === "orders")?.circuit,
      plain: upstreams.services.find((service) => service.service === "plain")?.circuit,
      gauge: gauge.filter((sample) => sample.labels.service === "orders").map((sample) => sample.value),
      plainGauge: gauge.filter((sample) => sample.labels.service === "plain").length,
    };
  };
  try {
    assert.equal(await read(), { circuit: "closed", plain: undefined, gauge: [0], plainGauge: 0 });
    for (let index = 0; index < 2; index++) assert.is((await call(gateway)).status, 503);
    assert.equal(await read(), { circuit: "open", plain: undefined, gauge: [1], plainGauge: 0 });
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("bad circuitBreaker options are config errors with their path", async () => {
  let message = "";
  try {
    await gatewayFor(["http://127.0.0.1:1"], { consecutiveFailures: 0, failureRatio: "150%", openFor: 3 });
  } catch (error) {
    message = (error as Error).message;
  }
  assert.match(message, /services\.orders\.circuitBreaker\.consecutiveFailures/);
  assert.match(message, /services\.orders\.circuitBreaker\.failureRatio/);
  assert.match(message, /services\.orders\.circuitBreaker\.openFor/);
});

test.run();
