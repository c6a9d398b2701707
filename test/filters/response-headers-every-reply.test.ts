import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startWireServer, type WireServer } from "../helpers/wire-server.js";

/**
 * A response-headers filter's rules reach every kind of reply the HTTP
 * listener writes: codec-encoded JSON and XML, SOAP envelopes, errors,
 * message streams and HttpBody streams, through a real listener and a real
 * grpc-js upstream. Content-Type is the hard case: the listener picks it
 * when it encodes the body, after every filter ran.
 */
const replies = suite<{ server: WireServer; global: TestGateway; routed: TestGateway }>("response-headers on every reply");
const labelled = "application/vnd.rosetta.wire";

replies.before(async (context) => {
  context.server = await startWireServer();
  const wire = { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/wire.proto"], timeout: "5s" };
  context.global = await startGateway({
    protos: { include: ["test/protos"] },
    filters: [{ "response-headers": { set: { "content-type": labelled, "x-wire": "global" }, add: { "cache-control": "private" } } }],
    services: { wire: { ...wire, soap: { path: "/soap" } } },
  });
  context.routed = await startGateway({
    protos: { include: ["test/protos"] },
    services: { wire },
    routes: [
      {
        id: "fail",
        match: { path: "/routed/fail/{code}", methods: ["GET"] },
        filters: [{ "response-headers": { set: { "content-type": labelled, "x-wire": "route" }, remove: ["grpc-metadata-x-fail-header"] } }],
        upstream: { service: "wire", method: "rosetta.test.v1.Wire/Fail" },
      },
      {
        id: "echo",
        match: { path: "/routed/echo", methods: ["POST"] },
        filters: [{ "response-headers": { remove: ["content-type"] } }],
        upstream: { service: "wire", method: "rosetta.test.v1.Wire/Echo" },
      },
    ],
  });
});

replies.after(async ({ server, global, routed }) => {
  await global.stop();
  await routed.stop();
  await server.close();
});

async function call(gateway: TestGateway, path: string, init: Parameters<typeof request>[1] = {}) {
  const response = await request(`${gateway.url}${path}`, init);
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

const soapEcho = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Echo xmlns="urn:rosetta.test.v1.Wire"><note>hi</note></Echo></soap:Body></soap:Envelope>';

const kinds: Array<{ name: string; path: string; init?: Parameters<typeof request>[1]; status: number; body: RegExp }> = [
  { name: "a JSON reply", path: "/v1/wire/echo", init: { method: "POST", headers: { "content-type": "application/json" }, body: '{"note":"hi"}' }, status: 200, body: /"note":"hi"/ },
  {
    name: "an XML reply",
    path: "/v1/wire/echo",
    init: { method: "POST", headers: { "content-type": "application/json", accept: "application/xml" }, body: '{"note":"hi"}' },
    status: 200,
    body: /<note>hi<\/note>/,
  },
  {
    name: "a SOAP reply",
    path: "/soap/rosetta.test.v1.Wire",
    init: { method: "POST", headers: { "content-type": "text/xml; charset=utf-8", soapaction: '""' }, body: soapEcho },
    status: 200,
    body: /EchoResponse/,
  },
  { name: "an upstream error", path: "/v1/wire/fail/7", status: 403, body: /"code":7/ },
  { name: "a routing error (404)", path: "/nowhere", status: 404, body: /no route/ },
  { name: "an NDJSON message stream", path: "/v1/wire/watch?parts=2", status: 200, body: /^\{"result":\{"metadata":\[\],"note":"part 1"\}\}\n/ },
  { name: "an SSE message stream", path: "/v1/wire/watch?parts=1", init: { headers: { accept: "text/event-stream" } }, status: 200, body: /^data: / },
  { name: "an HttpBody stream", path: "/v1/wire/download?parts=2", status: 200, body: /^part 1\npart 2\n$/ },
];

for (const kind of kinds) {
  replies(`a global filter's rules, Content-Type included, reach ${kind.name}`, async ({ global }) => {
    const response = await call(global, kind.path, kind.init);
    assert.is(response.status, kind.status, response.text);
    assert.match(response.text, kind.body);
    assert.is(response.headers["content-type"], labelled);
    assert.is(response.headers["x-wire"], "global");
    assert.match(String(response.headers["cache-control"]), /private$/);
  });
}

replies("a route's filter applies to the endpoint's own errors, not only to successes", async ({ routed }) => {
  const response = await call(routed, "/routed/fail/9");
  assert.is(response.status, 400);
  assert.equal(JSON.parse(response.text), { code: 9, message: "failed with 9", details: [] });
  assert.is(response.headers["content-type"], labelled);
  assert.is(response.headers["x-wire"], "route");
  assert.is(response.headers["grpc-metadata-x-fail-header"], undefined);
  assert.is(response.headers["grpc-trailer-x-fail-trailer"], "late");
});

replies("removing Content-Type leaves a JSON reply without one, though the listener picks it after the filter ran", async ({ routed }) => {
  const response = await call(routed, "/routed/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"note":"hi"}' });
  assert.is(response.status, 200);
  assert.is(JSON.parse(response.text).note, "hi");
  assert.is(response.headers["content-type"], undefined);
});

replies.run();
