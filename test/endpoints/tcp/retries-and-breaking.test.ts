import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type Server } from "node:net";
import { once } from "node:events";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";

/** A real NDJSON frame upstream answering the first `failures` frames with `status`, then 200. */
async function flakyFrames(failures: number, status = 503): Promise<{ server: Server; target: string; frames: () => number }> {
  let seen = 0;
  const server = createServer((socket) => {
    let pending = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const frame = JSON.parse(pending.slice(0, newline)) as { id: string };
        pending = pending.slice(newline + 1);
        seen++;
        socket.write(`${JSON.stringify({ id: frame.id, status: seen <= failures ? status : 200, headers: {}, body: { frame: seen } })}\n`);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, target: `127.0.0.1:${(server.address() as { port: number }).port}`, frames: () => seen };
}

function gatewayFor(target: string, service: Record<string, unknown>, retry?: Record<string, unknown>): Promise<TestGateway> {
  return startGateway({
    services: { stock: { protocol: "tcp", targets: [target], ejection: { consecutiveFailures: 1000 }, ...service } },
    routes: [{ id: "stock", upstream: { service: "stock", ...(retry === undefined ? {} : { retry }) } }],
  });
}

test("tcp: a GET frame answered 503 twice is retried; the upstream reads three frames", async () => {
  const upstream = await flakyFrames(2);
  const gateway = await gatewayFor(upstream.target, {}, { attempts: 2, backoff: "1ms" });
  try {
    const response = await request(`${gateway.url}/stock/1`);
    assert.is(response.statusCode, 200);
    assert.equal(await response.body.json(), { frame: 3 });
    assert.is(upstream.frames(), 3);
  } finally {
    await gateway.stop();
    upstream.server.close();
  }
});

test("tcp: 503 frames open the service circuit; then calls fail fast and no frame is sent", async () => {
  const upstream = await flakyFrames(1000);
  const gateway = await gatewayFor(upstream.target, { circuitBreaker: { consecutiveFailures: 3, openFor: "30s" } });
  try {
    for (let index = 0; index < 3; index++) {
      const response = await request(`${gateway.url}/stock/${index}`);
      assert.is(response.statusCode, 503);
      await response.body.dump();
    }
    const fast = await request(`${gateway.url}/stock/9`);
    assert.is(fast.statusCode, 503);
    assert.match(await fast.body.text(), /circuit is open/);
    assert.is(upstream.frames(), 3);
    assert.equal(
      gateway.gateway.circuits().stock?.targets.map((target) => target.state),
      ["open"],
    );
  } finally {
    await gateway.stop();
    upstream.server.close();
  }
});

test.run();
