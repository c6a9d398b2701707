import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createGateway, GatewayError, StatusCode, type Gateway } from "../../src/index.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { echoEndpoint, type EchoEndpoint } from "../helpers/echo-endpoint.js";

const inject = suite<{ echo: EchoEndpoint; gateway: Gateway }>("Gateway.inject: the whole pipeline without sockets");

inject.before(async (context) => {
  context.echo = echoEndpoint();
  context.gateway = await createGateway(
    {
      // Never bound: inject needs no listener, routes only see their names.
      listeners: [
        { name: "web", protocol: "http", port: 0 },
        { name: "admin", protocol: "http", port: 0 },
      ],
      services: { echo: { protocol: "echo" } },
      routes: [
        { id: "get-order", match: { path: "/api/orders/{id}", methods: ["GET"] }, upstream: { service: "echo" } },
        { id: "create", match: { path: "/api/orders", methods: ["POST"] }, upstream: { service: "echo" } },
        { id: "admin-only", match: { path: "/admin/**", listeners: ["admin"] }, upstream: { service: "echo" } },
      ],
    },
    { plugins: context.echo.plugins },
  );
});

inject.after(({ gateway }) => gateway.stop());

inject("no route → 404 as google.rpc.Status JSON, with the error on the result", async ({ gateway }) => {
  const missing = await gateway.inject({ path: "/nothing/here" });
  assert.is(missing.status, 404);
  assert.is(missing.headers["content-type"], "application/json");
  assert.equal(missing.json(), { code: 5, message: "no route for GET /nothing/here", details: [] });
  assert.ok(missing.error instanceof GatewayError);
  assert.is(missing.error?.code, StatusCode.NOT_FOUND);
});

inject("wrong method → 405 with Allow listing GET and HEAD", async ({ gateway }) => {
  const wrong = await gateway.inject({ method: "DELETE", path: "/api/orders/1" });
  assert.is(wrong.status, 405);
  assert.is(wrong.headers.allow, "GET, HEAD");
  assert.is((wrong.json() as { code: number }).code, 12);
});

inject("HEAD is served by the GET route: the GET head, no body", async ({ gateway, echo }) => {
  const get = await gateway.inject({ path: "/api/orders/7" });
  const head = await gateway.inject({ method: "HEAD", path: "/api/orders/7" });
  assert.is(head.status, 200);
  assert.is(echo.received.at(-1)?.method, "HEAD");
  assert.is(head.body.byteLength, 0);
  assert.is(head.headers["content-type"], "application/json");
  assert.ok(Number(get.headers["content-length"]) > 0);
});

inject("path variables, query and a JSON body reach the endpoint", async ({ gateway, echo }) => {
  const got = await gateway.inject({ path: "/api/orders/a%2Fb?x=1&y=2" });
  assert.equal(got.json(), { method: "GET", path: "/api/orders/a%2Fb", query: "x=1&y=2", params: { id: "a/b" }, body: "" });
  const created = await gateway.inject({ method: "post", path: "/api/orders", body: { item: "Dune" } });
  assert.is(created.status, 200);
  assert.is(echo.received.at(-1)?.headers["content-type"], "application/json");
  assert.is(echo.received.at(-1)?.body.toString(), '{"item":"Dune"}');
});

inject("match.listeners: a route for one listener is invisible from another", async ({ gateway }) => {
  assert.is((await gateway.inject({ path: "/admin/x", listener: "admin" })).status, 200);
  assert.is((await gateway.inject({ path: "/admin/x", listener: "web" })).status, 404);
  assert.is((await gateway.inject({ path: "/admin/x" })).status, 404, "the first listener is the default");
  try {
    await gateway.inject({ path: "/admin/x", listener: "nope" });
    assert.unreachable("an unknown listener name was accepted");
  } catch (error) {
    assert.match(String(error), /no listener named "nope"; configured: web, admin/);
  }
});

inject("replies are encoded by the codec Accept picks, else the request's Content-Type", async ({ gateway }) => {
  const xml = await gateway.inject({ path: "/api/orders/1", headers: { Accept: "application/xml" } });
  assert.is(xml.headers["content-type"], "application/xml");
  assert.match(xml.text(), "<params><id>1</id></params>");
  const bySent = await gateway.inject({ method: "POST", path: "/api/orders", headers: { "content-type": "application/xml" }, body: "<a>1</a>" });
  assert.is(bySent.headers["content-type"], "application/xml");
});

inject("error bodies follow Accept: JSON, <Status> in XML, google.rpc.Status in protobuf", async ({ gateway }) => {
  const json = await gateway.inject({ path: "/missing", headers: { accept: "application/json" } });
  assert.equal(json.json(), { code: 5, message: "no route for GET /missing", details: [] });
  const xml = await gateway.inject({ path: "/missing", headers: { accept: "application/xml" } });
  assert.is(xml.status, 404);
  assert.is(xml.headers["content-type"], "application/xml");
  assert.match(xml.text(), "<Status><code>5</code><message>no route for GET /missing</message>");
  const binary = await gateway.inject({ path: "/missing", headers: { accept: "application/x-protobuf" } });
  assert.is(binary.status, 404);
  assert.is(binary.headers["content-type"], "application/x-protobuf");
  const status = (await ProtoRegistry.load([], ["google/rpc/status.proto"])).findType("google.rpc.Status")!;
  const decoded = status.toObject(status.decode(binary.body)) as { code: number; message: string };
  assert.is(decoded.code, 5);
  assert.is(decoded.message, "no route for GET /missing");
});

inject("a body given as bytes or text is passed on unchanged", async ({ gateway, echo }) => {
  await gateway.inject({ method: "POST", path: "/api/orders", body: new Uint8Array([0, 1, 255]) });
  assert.equal([...echo.received.at(-1)!.body], [0, 1, 255]);
  await gateway.inject({ method: "POST", path: "/api/orders", body: "café", headers: { "content-type": "text/plain" } });
  assert.is(echo.received.at(-1)!.body.toString("utf8"), "café");
  assert.is(echo.received.at(-1)!.headers["content-type"], "text/plain");
});

inject("hop-by-hop request headers are dropped as the HTTP listener drops them", async ({ gateway, echo }) => {
  await gateway.inject({ path: "/api/orders/1", headers: { connection: "x-secret", "x-secret": "s", "x-kept": "k" } });
  const seen = echo.received.at(-1)!.headers;
  assert.is(seen["x-secret"], undefined);
  assert.is(seen["x-kept"], "k");
});

inject.run();

const streams = suite("Gateway.inject: message streams and failures");

streams("a message stream is NDJSON; a failure midway is a final {error} line", async () => {
  async function* messages() {
    yield { n: 1 };
    yield { n: 2 };
    throw new GatewayError(StatusCode.UNAVAILABLE, "upstream went away");
  }
  const echo = echoEndpoint(() => ({ status: 200, headers: {}, body: { kind: "messages", messages: messages(), format: "sse", cancel: () => {} } }));
  const gateway = await createGateway(
    {
      listeners: [{ protocol: "http", port: 0 }],
      services: { echo: { protocol: "echo" } },
      routes: [{ id: "all", upstream: { service: "echo" } }],
    },
    { plugins: echo.plugins },
  );
  try {
    const response = await gateway.inject({ path: "/watch" });
    assert.is(response.headers["content-type"], "application/x-ndjson");
    assert.is(response.text(), '{"result":{"n":1}}\n{"result":{"n":2}}\n{"error":{"code":14,"message":"upstream went away","details":[]}}\n');
  } finally {
    await gateway.stop();
  }
});

streams("an endpoint that throws becomes an error response, never a rejection", async () => {
  const echo = echoEndpoint(() => {
    throw new GatewayError(StatusCode.PERMISSION_DENIED, "not you");
  });
  const gateway = await createGateway(
    {
      listeners: [{ protocol: "http", port: 0 }],
      services: { echo: { protocol: "echo" } },
      routes: [{ id: "all", upstream: { service: "echo" } }],
    },
    { plugins: echo.plugins },
  );
  try {
    const response = await gateway.inject({ path: "/x" });
    assert.is(response.status, 403);
    assert.equal(response.json(), { code: 7, message: "not you", details: [] });
  } finally {
    await gateway.stop();
  }
});

streams.run();
