import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { connect } from "node:net";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";
import { waitFor } from "../../helpers/wait.js";

/** An upstream that answers `failures` times with `status`, then 200. */
async function flaky(failures: number, status = 503, delay = 0): Promise<TestUpstream> {
  let seen = 0;
  return startUpstream((_req, res) => {
    const answer = seen++ < failures ? status : 200;
    setTimeout(() => res.writeHead(answer, { "content-length": "2" }).end("ok"), delay);
  });
}

function gatewayFor(origins: string[], retry: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<TestGateway> {
  return startGateway({
    services: { orders: { protocol: "http", targets: origins, ejection: { consecutiveFailures: 1000 }, ...extra } },
    routes: [{ id: "all", upstream: { service: "orders", retry } }],
  });
}

test("a GET that fails twice with 503 is retried and succeeds: three requests reach the upstream", async () => {
  const upstream = await flaky(2);
  const gateway = await gatewayFor([upstream.origin], { attempts: 2, on: ["UNAVAILABLE"], backoff: "5ms" });
  try {
    const response = await request(`${gateway.url}/orders/1`);
    assert.is(response.statusCode, 200);
    assert.is(await response.body.text(), "ok");
    assert.is(upstream.received.length, 3);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("attempts bounds the retries; the last failure is answered as it came", async () => {
  const upstream = await flaky(10, 502);
  const gateway = await gatewayFor([upstream.origin], { attempts: 3, on: [502], backoff: "1ms" });
  try {
    const response = await request(`${gateway.url}/orders/1`);
    assert.is(response.statusCode, 502);
    await response.body.dump();
    assert.is(upstream.received.length, 4);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("statuses that are not listed are not retried (a 500 is UNKNOWN, not UNAVAILABLE)", async () => {
  const upstream = await flaky(1, 500);
  const gateway = await gatewayFor([upstream.origin], { attempts: 2, on: ["UNAVAILABLE"], backoff: "1ms" });
  try {
    const response = await request(`${gateway.url}/orders/1`);
    assert.is(response.statusCode, 500);
    await response.body.dump();
    assert.is(upstream.received.length, 1);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("POST is not retried by default; retry.methods opts it in", async () => {
  const upstream = await flaky(1);
  const gateway = await gatewayFor([upstream.origin], { attempts: 2, backoff: "1ms" });
  const opted = await flaky(1);
  const optedGateway = await gatewayFor([opted.origin], { attempts: 2, backoff: "1ms", methods: ["POST"] });
  try {
    const response = await request(`${gateway.url}/orders`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
    assert.is(response.statusCode, 503);
    await response.body.dump();
    assert.is(upstream.received.length, 1);
    const retried = await request(`${optedGateway.url}/orders`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
    assert.is(retried.statusCode, 200);
    await retried.body.dump();
    assert.equal(
      opted.received.map((received) => received.body.toString()),
      ['{"a":1}', '{"a":1}'],
      "the buffered body is sent again whole",
    );
  } finally {
    await gateway.stop();
    await optedGateway.stop();
    await upstream.close();
    await opted.close();
  }
});

test("a retry goes to another target when there is one", async () => {
  const first = await flaky(100);
  const second = await flaky(0);
  const gateway = await gatewayFor([first.origin, second.origin], { attempts: 1, backoff: "1ms" });
  try {
    for (let index = 0; index < 4; index++) {
      const response = await request(`${gateway.url}/orders/${index}`);
      assert.is(response.statusCode, 200);
      await response.body.dump();
    }
    // Smooth round-robin sends some first tries to the failing target (the very first one at least); each retry skips it.
    assert.ok(first.received.length >= 1 && first.received.length <= 4, `${first.received.length} tries on the failing target`);
    assert.is(second.received.length, 4);
  } finally {
    await gateway.stop();
    await first.close();
    await second.close();
  }
});

test("connect-failure is retried on the live target", async () => {
  const live = await flaky(0);
  const gateway = await gatewayFor(["http://127.0.0.1:1", live.origin], { attempts: 1, on: ["connect-failure"], backoff: "1ms" }, { retries: 0 });
  try {
    for (let index = 0; index < 4; index++) {
      const response = await request(`${gateway.url}/orders/${index}`);
      assert.is(response.statusCode, 200);
      await response.body.dump();
    }
    assert.is(live.received.length, 4);
  } finally {
    await gateway.stop();
    await live.close();
  }
});

test("no retry after the caller cancelled: a caller leaving during the backoff ends the call at once", async () => {
  const upstream = await flaky(100);
  // A long backoff (random up to 30s) inside a long timeout: only the cancellation can end the wait early.
  const gateway = await gatewayFor([upstream.origin], { attempts: 5, backoff: "30s", maxBackoff: "30s" }, { timeout: "60s", circuitBreaker: { maxPending: 10 } });
  try {
    const socket = connect(gateway.port, "127.0.0.1");
    socket.on("error", () => {});
    socket.write("GET /orders/1 HTTP/1.1\r\nhost: x\r\n\r\n");
    await waitFor(() => upstream.received.length === 1, "the first try");
    await waitFor(() => gateway.gateway.circuits().orders?.pending === 1, "the call to wait for its retry");
    socket.destroy();
    await waitFor(() => gateway.gateway.circuits().orders?.pending === 0, "the call to end", 1000);
    assert.is(upstream.received.length, 1);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("the budget stops a retry storm: with every request failing, retries stay within budget% (+ the floor of 3 in flight)", async () => {
  // Slow failures, so the 100 first tries are all in flight before any fails (as in a real storm).
  const upstream = await flaky(1_000_000, 503, 200);
  const gateway = await gatewayFor([upstream.origin], { attempts: 3, budget: "20%", backoff: "1ms" }, { connections: 200 });
  const unbounded = await flaky(1_000_000, 503, 200);
  const unboundedGateway = await gatewayFor([unbounded.origin], { attempts: 3, budget: "100%", backoff: "1ms" }, { connections: 200 });
  try {
    const requests = 100;
    const fire = (target: TestGateway) =>
      Promise.all(
        Array.from({ length: requests }, async (_, index) => {
          const response = await request(`${target.url}/orders/${index}`);
          await response.body.dump();
          return response.statusCode;
        }),
      );
    assert.ok((await fire(gateway)).every((status) => status === 503));
    const retries = upstream.received.length - requests;
    // 20 % of the requests, plus at most 3 in flight per later round of retries.
    assert.ok(retries <= requests * 0.2 + 3 * 3, `retries: ${retries}`);
    assert.ok(retries >= 1, `retries: ${retries}`);
    // Without a budget the same storm multiplies the load.
    await fire(unboundedGateway);
    assert.ok(unbounded.received.length - requests > requests * 0.6, `unbudgeted retries: ${unbounded.received.length - requests}`);
  } finally {
    await gateway.stop();
    await unboundedGateway.stop();
    await upstream.close();
    await unbounded.close();
  }
});

test("the timeout bounds all tries together: no retry starts past it", async () => {
  const upstream = await flaky(1_000_000, 503, 150);
  const gateway = await gatewayFor([upstream.origin], { attempts: 10, backoff: "100ms", maxBackoff: "100ms" }, { timeout: "400ms" });
  try {
    const started = performance.now();
    const response = await request(`${gateway.url}/orders/1`);
    await response.body.dump();
    const elapsed = performance.now() - started;
    assert.ok([503, 504].includes(response.statusCode), String(response.statusCode));
    assert.ok(elapsed < 2000, `took ${elapsed} ms (ten tries would take 2.5 s)`);
    assert.ok(upstream.received.length <= 3, `tries: ${upstream.received.length}`);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("a streamed request body is not retried once read", async () => {
  const upstream = await flaky(1);
  const gateway = await startGateway({
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, bufferBodyBytes: "1KiB" }],
    services: { orders: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "all", upstream: { service: "orders", retry: { attempts: 2, backoff: "1ms", methods: ["PUT"] } } }],
  });
  try {
    const big = Buffer.alloc(64 * 1024, 97);
    const response = await request(`${gateway.url}/orders/1`, { method: "PUT", body: big });
    assert.is(response.statusCode, 503);
    await response.body.dump();
    assert.is(upstream.received.length, 1);
    // The same PUT with a small (buffered) body is retried.
    const small = await request(`${gateway.url}/orders/2`, { method: "PUT", body: "small" });
    assert.is(small.statusCode, 200);
    await small.body.dump();
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

test("bad retry options are config errors with their path", async () => {
  let message = "";
  try {
    await gatewayFor(["http://127.0.0.1:1"], { attempts: 0, on: ["UNAVAILABLEE", 99], budget: "120%", backoff: "50ms", maxBackoff: "10ms" });
  } catch (error) {
    message = (error as Error).message;
  }
  for (const key of ["attempts", "on[0]", "on[1]", "budget"]) assert.ok(message.includes(`routes[0].upstream.retry.${key}`), `${key} in ${message}`);
});

test.run();
