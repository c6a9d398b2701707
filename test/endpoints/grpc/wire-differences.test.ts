import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startWireServer, type WireServer } from "../../helpers/wire-server.js";

/** Where Rosetta answers differently from grpc-gateway on purpose (README "Differences from grpc-gateway"). */
const differences = suite<{ server: WireServer; gateway: TestGateway }>("gRPC transcoding: deliberate differences from grpc-gateway");

differences.before(async (context) => {
  context.server = await startWireServer();
  context.gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: { wire: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/wire.proto"], timeout: "5s" } },
  });
});

differences.after(async ({ gateway, server }) => {
  await gateway.stop();
  await server.close();
});

differences("a known path with the wrong method is 405 with Allow (grpc-gateway: 501), and nothing goes upstream", async ({ gateway, server }) => {
  const before = server.calls.length;
  const response = await request(`${gateway.url}/v1/wire/echo`, { method: "GET" });
  const body = (await response.body.json()) as { code: number; message: string };
  assert.is(response.statusCode, 405);
  assert.is(response.headers.allow, "POST");
  assert.is(body.code, 12);
  assert.match(body.message, "method GET is not allowed on /v1/wire/echo; allowed: POST");
  assert.is(server.calls.length, before);
});

const trailing: Array<[string, string, RegExp]> = [
  ["a second JSON value", '{"note":"a"}{"note":"b"}', /^invalid JSON at line 1, column 13/],
  ["garbage after the value", '{"note":"a"} trailing', /^invalid JSON at line 1, column 14/],
];

for (const [name, body, message] of trailing) {
  differences(`a unary body with ${name} is 400 naming where (grpc-gateway reads the first value and ignores the rest)`, async ({ gateway, server }) => {
    const before = server.calls.length;
    const response = await request(`${gateway.url}/v1/wire/echo`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const reply = (await response.body.json()) as { code: number; message: string };
    assert.is(response.statusCode, 400);
    assert.is(reply.code, 3);
    assert.match(reply.message, message, reply.message);
    assert.is(server.calls.length, before);
  });
}

differences.run();
