import { suite } from "uvu";
import * as assert from "uvu/assert";
import { bytesBody, createGateway, type Gateway } from "../../src/index.js";
import { echoEndpoint, type EchoEndpoint } from "../helpers/echo-endpoint.js";

/** Filter logic needs no socket: the pipeline is called through Gateway.inject, the service is the echo endpoint. */
const filters = suite<{ upstream: EchoEndpoint; gateway: Gateway }>("filters");

filters.before(async (context) => {
  context.upstream = echoEndpoint((request) => ({
    status: request.path === "/gone" ? 404 : 200,
    headers: { "x-upstream-secret": "s", "x-old": "v", "content-type": "text/plain" },
    body: bytesBody(Buffer.from("ok")),
  }));
  context.gateway = await createGateway(
    {
      listeners: [{ name: "web", protocol: "http", port: 0 }],
      services: { up: { protocol: "echo" } },
      filters: ["request-id", { "request-headers": { set: { "x-stage": "global" }, add: { "x-trail": "global" } } }, { "response-headers": { set: { "x-served-by": "rosetta" } } }],
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
    },
    { plugins: context.upstream.plugins },
  );
});

filters.after(async ({ gateway }) => {
  await gateway.stop();
});

filters("request header rules: global first, then the route's, in written order", async ({ gateway, upstream }) => {
  await gateway.inject({ path: "/gone", headers: { "x-client": "c1", "x-debug": "1" } });
  const seen = upstream.received.at(-1)!.headers;
  assert.is(seen["x-caller"], "c1");
  assert.is(seen["x-client"], undefined);
  assert.is(seen["x-debug"], undefined);
  assert.is(seen["x-stage"], "global");
  assert.is(seen["x-trail"], "global, route");
});

filters("response header rules and status rewrite", async ({ gateway }) => {
  const response = await gateway.inject({ path: "/gone" });
  assert.is(response.status, 410);
  assert.is(response.headers["x-upstream-secret"], undefined);
  assert.is(response.headers["x-new"], "v");
  assert.is(response.headers["x-served-by"], "rosetta");
});

filters("a route's filters stay on that route", async ({ gateway }) => {
  const response = await gateway.inject({ path: "/other" });
  assert.is(response.status, 200);
  assert.is(response.headers["x-upstream-secret"], "s");
  assert.is(response.headers["x-served-by"], "rosetta");
});

filters("request-id: a valid caller id is kept and echoed; an invalid one is replaced", async ({ gateway, upstream }) => {
  const kept = await gateway.inject({ path: "/x", headers: { "x-request-id": "trace-42.a:b" } });
  assert.is(kept.headers["x-request-id"], "trace-42.a:b");
  assert.is(upstream.received.at(-1)!.headers["x-request-id"], "trace-42.a:b");
  const replaced = await gateway.inject({ path: "/x", headers: { "x-request-id": "bad id\twith spaces" } });
  const id = replaced.headers["x-request-id"] as string;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.is(upstream.received.at(-1)!.headers["x-request-id"], id);
});

filters("global filters also decorate gateway-made errors", async ({ gateway }) => {
  const gatewayWithRoutes = await gateway.inject({ path: "/gone", method: "GET" });
  assert.is(gatewayWithRoutes.headers["x-served-by"], "rosetta");
});

filters.run();
