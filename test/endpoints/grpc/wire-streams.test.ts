import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Readable } from "node:stream";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { httpCall } from "../../helpers/http-call.js";
import { startWireServer, type WireServer } from "../../helpers/wire-server.js";

/** grpc-gateway's stream framings through a real listener: HttpBody streams out, concatenated JSON values in. */
const streams = suite<{ server: WireServer; gateway: TestGateway }>("gRPC wire: HttpBody streams and client-stream bodies");

streams.before(async (context) => {
  context.server = await startWireServer();
  context.gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: { wire: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/wire.proto"], timeout: "5s" } },
  });
});

streams.after(async ({ gateway, server }) => {
  await gateway.stop();
  await server.close();
});

async function call(gateway: TestGateway, path: string, init: Parameters<typeof request>[1] = {}) {
  const response = await request(`${gateway.url}${path}`, init);
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

streams("a stream of HttpBody: each message's bytes then a newline, with the first message's content type", async ({ gateway }) => {
  const response = await call(gateway, "/v1/wire/download?parts=3");
  assert.is(response.status, 200);
  assert.is(response.headers["content-type"], "text/plain; charset=utf-8");
  assert.is(response.text, "part 1\npart 2\npart 3\n");
});

streams("an HttpBody stream that fails midway ends with one in-band error line, status 200", async ({ gateway }) => {
  const response = await call(gateway, "/v1/wire/download?parts=2&code=3&note=download");
  assert.is(response.status, 200);
  assert.is(response.text, 'part 1\npart 2\n{"error":{"code":3,"message":"download broke","details":[]}}\n');
});

streams("an HttpBody stream that fails before its first message is an ordinary error reply", async ({ gateway }) => {
  const response = await call(gateway, "/v1/wire/download?parts=0&code=5&note=download");
  assert.is(response.status, 404);
  assert.equal(JSON.parse(response.text), { code: 5, message: "download broke", details: [] });
});

streams("a stream call (grpc-js) with Grpc-Metadata-* headers gRPC cannot carry is served without them", async ({ gateway }) => {
  const reply = await httpCall(gateway.port, { path: "/v1/wire/watch?parts=1", headers: { "grpc-metadata-x-accent": "caf\u00e9", "grpc-metadata-x-bang!": "v" } });
  assert.is(reply.status, 200, reply.body);
  assert.is(reply.body, '{"result":{"metadata":[],"note":"part 1"}}\n');
});

const sumCases: Array<{ name: string; chunks: string[]; sum: string; labels: string[] }> = [
  { name: "values back to back, no separator", chunks: ['{"value":9007199254740993,"label":"a"}{"value":"1","label":"b"}{"value":-2}'], sum: "9007199254740992", labels: ["a", "b"] },
  { name: "back to back, cut inside values and strings across chunks", chunks: ['{"value":90071992547', '40993,"label":"x}{', '\\""}{"val', 'ue":1}'], sum: "9007199254740994", labels: ['x}{"'] },
  { name: "NDJSON, blank lines and CRLF", chunks: ['{"value":1}\r\n\n{"value":2}\n', '{"value":3}'], sum: "6", labels: [] },
  { name: "whitespace between values, one value over several lines", chunks: ['{"value":1} \t{\n  "value": 2,\n  "label": "multi"\n}\n'], sum: "3", labels: ["multi"] },
];

for (const row of sumCases) {
  streams(`client streaming body: ${row.name}`, async ({ gateway }) => {
    const response = await call(gateway, "/v1/wire/sum", { method: "POST", headers: { "content-type": "application/json" }, body: Readable.from(row.chunks) });
    assert.is(response.status, 200, response.text);
    const total = JSON.parse(response.text);
    assert.is(total.sum, row.sum);
    assert.equal(total.labels, row.labels);
  });
}

const brokenCases: Array<{ name: string; body: string; message: string | RegExp }> = [
  {
    name: "a broken value midway",
    body: '{"value":1}{"value":}{"value":2}',
    message: /^JSON value 2 of the request stream \(which starts at line 1, column 12\): invalid JSON at line 1, column 10/,
  },
  { name: "a stray closing bracket", body: '{"value":1}}{"value":2}', message: "unexpected '}' between JSON values of the request stream at line 1, column 12" },
  { name: "a bare word between values", body: '{"value":1}\nnope\n{"value":2}', message: /^JSON value 2 of the request stream \(which starts at line 2, column 1\): invalid JSON/ },
  { name: "a body cut inside a value", body: '{"value":1}{"value":2', message: "the request stream ends inside JSON value 2 (which starts at line 1, column 12)" },
  { name: "an int64 beyond 64 bits", body: '{"value":1}{"value":18446744073709551616}', message: "message 2.value: 18446744073709551616 is out of range for int64" },
];

for (const row of brokenCases) {
  streams(`client streaming body: ${row.name} → 400 naming it`, async ({ gateway }) => {
    const response = await call(gateway, "/v1/wire/sum", { method: "POST", headers: { "content-type": "application/json" }, body: row.body });
    assert.is(response.status, 400, response.text);
    const { code, message } = JSON.parse(response.text);
    assert.is(code, 3, message);
    if (typeof row.message === "string") assert.is(message, row.message);
    else assert.match(message, row.message, message);
  });
}

streams.run();
