import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startEchoServer, type EchoServer } from "../../helpers/echo-server.js";

/**
 * Malformed application/x-protobuf bodies get 400 INVALID_ARGUMENT saying
 * what is wrong, and the real grpc-js upstream receives nothing; a valid body
 * after them is still served.
 */
const bodies = suite<{ server: EchoServer; gateway: TestGateway }>("malformed protobuf bodies: 400, nothing upstream");

bodies.before(async (context) => {
  context.server = await startEchoServer();
  context.gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: { exact: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/exact.proto"] } },
  });
});

bodies.after(async ({ server, gateway }) => {
  await gateway.stop();
  await server.close();
});

const nestedTooDeep = (() => {
  // Kitchen.nested (17) and then Nested.children (3), 101 levels, lengths written inside out.
  let inner = Buffer.alloc(0);
  for (let level = 0; level < 100; level++) inner = Buffer.concat([Buffer.from([0x1a]), varint(inner.length), inner]);
  return Buffer.concat([Buffer.from([0x8a, 0x01]), varint(inner.length), inner]);
})();

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

const rows: Array<readonly [description: string, body: Buffer, message: RegExp]> = [
  ["wire type 6", Buffer.from([0x0e, 0x00]), /wire type 6, which does not exist/],
  ["wire type 7", Buffer.from([0x0f, 0x00]), /wire type 7, which does not exist/],
  ["field number 0", Buffer.from([0x02, 0x00]), /field number 0/],
  ["a length past the end", Buffer.from([0x72, 0x05, 0x61, 0x62]), /past the end/],
  ["a length of 2^31", Buffer.from([0x72, 0x80, 0x80, 0x80, 0x80, 0x08, 0x61]), /at least 2\^31/],
  ["invalid UTF-8 in a string", Buffer.from([0x72, 0x02, 0xc3, 0x28]), /f_string\) at byte 2 is not valid UTF-8/],
  ["messages nested 101 deep", nestedTooDeep, /nested deeper than the limit of 100/],
];

bodies("each malformed body is 400 naming the defect; the upstream receives nothing", async ({ gateway, server }) => {
  for (const [description, body, message] of rows) {
    const response = await fetch(`${gateway.url}/v1/echo`, { method: "POST", headers: { "content-type": "application/x-protobuf", accept: "application/json" }, body });
    const status = (await response.json()) as { code: number; message: string };
    assert.is(response.status, 400, `${description}: ${JSON.stringify(status)}`);
    assert.is(status.code, 3, description);
    assert.match(status.message, /^malformed rosetta\.test\.v1\.Kitchen message: /, description);
    assert.match(status.message, message, description);
  }
  assert.is(server.received.length, 0);
  const valid = await fetch(`${gateway.url}/v1/echo`, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf", accept: "application/json" },
    body: Buffer.from([0x72, 0x02, 0x6f, 0x6b]),
  });
  assert.is(valid.status, 200);
  assert.equal(server.received, [{ f_string: "ok" }]);
});

bodies.run();
