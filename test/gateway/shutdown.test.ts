import { test } from "uvu";
import * as assert from "uvu/assert";
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { request } from "undici";
import { startGateway } from "../helpers/gateway.js";
import { rawRequest } from "../helpers/raw-http.js";
import { startUpstream } from "../helpers/upstream.js";
import { nextEvent } from "../helpers/wait.js";

test("graceful shutdown: an in-flight slow request finishes, new connections are refused", async () => {
  // The upstream holds /slow until the test has seen the gateway refuse a new connection; anything else is answered at once.
  const arrivals = new EventEmitter();
  const slow = await startUpstream((req, res) => {
    if (req.url === "/slow") arrivals.emit("request", res);
    else res.writeHead(200, { "content-length": 2 }).end("ok");
  });
  const gateway = await startGateway({
    services: { slow: { protocol: "http", targets: [slow.origin] } },
    routes: [{ id: "all", upstream: { service: "slow" } }],
  });
  try {
    const arrived = nextEvent(arrivals, "request");
    const inFlight = request(`${gateway.url}/slow`);
    const [res] = (await arrived) as [ServerResponse];
    // stop() closes the listening socket before it returns its promise: no wait is needed to see the refusal.
    const stopped = gateway.stop(5000);
    const refused = await rawRequest(gateway.port, "GET / HTTP/1.1\r\nhost: a\r\n\r\n", 1000).then(
      () => false,
      () => true,
    );
    assert.ok(refused, "a new connection was accepted while draining");
    res.writeHead(200, { "content-length": 4 }).end("done");
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
  const arrivals = new EventEmitter();
  const stuck = await startUpstream(() => arrivals.emit("request"));
  const gateway = await startGateway({
    services: { stuck: { protocol: "http", targets: [stuck.origin] } },
    routes: [{ id: "all", upstream: { service: "stuck" } }],
  });
  try {
    const arrived = nextEvent(arrivals, "request");
    const inFlight = request(`${gateway.url}/never`).then(
      () => "answered",
      () => "cut",
    );
    await arrived;
    const started = Date.now();
    await gateway.stop(200);
    assert.ok(Date.now() - started < 2000, `stop took ${Date.now() - started}ms`);
    assert.is(await inFlight, "cut");
  } finally {
    await stuck.close();
  }
});

test.run();
