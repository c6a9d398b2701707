import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";

const filters = suite<{ upstream: TestUpstream; gateway: TestGateway; order: string[] }>("filters");

filters.before(async (context) => {
  context.upstream = await startUpstream((req, res) => {
    const status = req.url === "/gone" ? 404 : 200;
    res.writeHead(status, { "x-upstream-secret": "s", "x-old": "v", "content-type": "text/plain" }).end("ok");
  });
  context.gateway = await startGateway({
    services: { up: { protocol: "http", targets: [context.upstream.origin] } },
    filters: [
      "request-id",
      { "request-headers": { set: { "x-stage": "global" }, add: { "x-trail": "global" } } },
      { "response-headers": { set: { "x-served-by": "rosetta" } } },
    ],
    routes: [
      {
        id: "decorated",
        match: { path: "/gone" },
        filters: [
          { "request-headers": { rename: { "x-client": "x-caller" }, remove: ["x-debug"], add: { "x-trail": "route" } } },
          { "response-headers": { remove: ["x-upstream-secret"], rename: { "x-old": "x-new" } } },
          { "set-status": { from: [404], to: 410 } },
        ],
        upstream: { service: "up" },
      },
      { id: "plain", upstream: { service: "up" } },
    ],
  });
});

filters.after(async ({ upstream, gateway }) => {
  await gateway.stop();
  await upstream.close();
});

filters("request header rules: global first, then the route's, in written order", async ({ gateway, upstream }) => {
  const response = await request(`${gateway.url}/gone`, { headers: { "x-client": "c1", "x-debug": "1" } });
  await response.body.dump();
  const seen = upstream.received.at(-1)!.headers;
  assert.is(seen["x-caller"], "c1");
  assert.is(seen["x-client"], undefined);
  assert.is(seen["x-debug"], undefined);
  assert.is(seen["x-stage"], "global");
  assert.is(seen["x-trail"], "global, route");
});

filters("response header rules and status rewrite", async ({ gateway }) => {
  const response = await request(`${gateway.url}/gone`);
  await response.body.dump();
  assert.is(response.statusCode, 410);
  assert.is(response.headers["x-upstream-secret"], undefined);
  assert.is(response.headers["x-new"], "v");
  assert.is(response.headers["x-served-by"], "rosetta");
});

filters("a route's filters stay on that route", async ({ gateway }) => {
  const response = await request(`${gateway.url}/other`);
  await response.body.dump();
  assert.is(response.statusCode, 200);
  assert.is(response.headers["x-upstream-secret"], "s");
  assert.is(response.headers["x-served-by"], "rosetta");
});

filters("request-id: a valid caller id is kept and echoed; an invalid one is replaced", async ({ gateway, upstream }) => {
  const kept = await request(`${gateway.url}/x`, { headers: { "x-request-id": "trace-42.a:b" } });
  await kept.body.dump();
  assert.is(kept.headers["x-request-id"], "trace-42.a:b");
  assert.is(upstream.received.at(-1)!.headers["x-request-id"], "trace-42.a:b");
  const replaced = await request(`${gateway.url}/x`, { headers: { "x-request-id": "bad id\twith spaces" } });
  await replaced.body.dump();
  const id = replaced.headers["x-request-id"] as string;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.is(upstream.received.at(-1)!.headers["x-request-id"], id);
});

filters("global filters also decorate gateway-made errors", async ({ gateway }) => {
  const gatewayWithRoutes = await request(`${gateway.url}/gone`, { method: "GET" });
  await gatewayWithRoutes.body.dump();
  assert.is(gatewayWithRoutes.headers["x-served-by"], "rosetta");
});

filters.run();
