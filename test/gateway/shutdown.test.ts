import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway } from "../helpers/gateway.js";
import { rawRequest } from "../helpers/raw-http.js";
import { startUpstream } from "../helpers/upstream.js";

test("graceful shutdown: an in-flight slow request finishes, new connections are refused", async () => {
  const slow = await startUpstream((_req, res) => setTimeout(() => res.writeHead(200, { "content-length": 4 }).end("done"), 300));
  const gateway = await startGateway({
    services: { slow: { protocol: "http", targets: [slow.origin] } },
    routes: [{ id: "all", upstream: { service: "slow" } }],
  });
  try {
    const inFlight = request(`${gateway.url}/slow`);
    while (slow.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const stopped = gateway.stop(5000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await rawRequest(gateway.port, "GET / HTTP/1.1\r\nhost: a\r\n\r\n", 1000).then(() => false, () => true);
    assert.ok(refused, "a new connection was accepted while draining");
    const response = await inFlight;
    assert.is(response.statusCode, 200);
    assert.is(response.headers.connection, "close", "a keep-alive caller is told the connection closes");
    assert.is(await response.body.text(), "done");
    await stopped;
  } finally {
    await slow.close();
  }
});

test("graceful shutdown is bounded: a request slower than the grace period is cut", async () => {
  const stuck = await startUpstream(() => {});
  const gateway = await startGateway({
    services: { stuck: { protocol: "http", targets: [stuck.origin] } },
    routes: [{ id: "all", upstream: { service: "stuck" } }],
  });
  try {
    const inFlight = request(`${gateway.url}/never`).then(() => "answered", () => "cut");
    while (stuck.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await gateway.stop(200);
    assert.ok(Date.now() - started < 2000, `stop took ${Date.now() - started}ms`);
    assert.is(await inFlight, "cut");
  } finally {
    await stuck.close();
  }
});

test.run();
