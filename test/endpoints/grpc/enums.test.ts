import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startEchoServer, type EchoServer } from "../../helpers/echo-server.js";

/**
 * Unknown enum names never reach a real grpc-js upstream as the zero value:
 * in query parameters and path variables they are 400 (as in grpc-gateway);
 * in JSON and XML bodies they follow json.rejectUnknownFields — refused, or
 * treated as unset (the field is absent upstream, a list element or map entry
 * is dropped).
 */
const enums = suite<{ server: EchoServer; gateway: TestGateway }>("unknown enum names: 400 in the URL, per rejectUnknownFields in bodies");

enums.before(async (context) => {
  context.server = await startEchoServer();
  context.gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: { exact: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/exact.proto"] } },
    routes: [{ id: "strict", match: { path: "/strict/echo", methods: ["POST"] }, upstream: { service: "exact", method: "rosetta.test.v1.Exact/Echo", json: { rejectUnknownFields: true } } }],
  });
});

enums.after(async ({ server, gateway }) => {
  await gateway.stop();
  await server.close();
});

async function send(gateway: TestGateway, path: string, init?: RequestInit): Promise<{ status: number; body: { message?: string } }> {
  const response = await fetch(`${gateway.url}${path}`, init);
  return { status: response.status, body: (await response.json()) as { message?: string } };
}

const urlRows: Array<readonly [description: string, path: string, message: RegExp]> = [
  ["a query parameter", "/v1/echo/1?color=COLOR_BOGUS", /^query parameter "color": "COLOR_BOGUS" is not a value of rosetta\.test\.v1\.Color \(one of COLOR_UNSPECIFIED, COLOR_RED, COLOR_GREEN\)/],
  ["a repeated query parameter", "/v1/echo/1?rColor=COLOR_RED&rColor=RED", /^query parameter "rColor": "RED" is not a value/],
  ["a map value in the query", "/v1/echo/1?mInt32[7]=COLOR_BOGUS", /^query parameter "mInt32\[7\]": "COLOR_BOGUS" is not a value/],
  ["a path variable", "/v1/colors/COLOR_BOGUS", /^path variable \{color\}: "COLOR_BOGUS" is not a value/],
  ["a name in the wrong case", "/v1/colors/color_red", /"color_red" is not a value/],
];

enums("unknown names in the query or path are 400 and nothing reaches the upstream", async ({ gateway, server }) => {
  for (const [description, path, message] of urlRows) {
    const { status, body } = await send(gateway, path);
    assert.is(status, 400, `${description}: ${JSON.stringify(body)}`);
    assert.match(body.message ?? "", message, description);
  }
  assert.is(server.received.length, 0);
});

enums("known names and numbers in the query or path still work", async ({ gateway, server }) => {
  assert.is((await send(gateway, "/v1/echo/1?color=COLOR_RED&rColor=COLOR_GREEN&rColor=1&mInt32[7]=COLOR_GREEN")).status, 200);
  assert.equal(server.received.at(-1), { f_int64: "1", color: "COLOR_RED", r_color: ["COLOR_GREEN", "COLOR_RED"], m_int32: { 7: "COLOR_GREEN" } });
  assert.is((await send(gateway, "/v1/colors/COLOR_GREEN")).status, 200);
  assert.equal(server.received.at(-1), { color: "COLOR_GREEN" });
  assert.is((await send(gateway, "/v1/colors/2")).status, 200);
  assert.equal(server.received.at(-1), { color: "COLOR_GREEN" });
});

const json = { "content-type": "application/json" };
const xml = { "content-type": "application/xml", accept: "application/json" };
const lenientBody = '{"fString": "x", "color": "COLOR_BOGUS", "rColor": ["COLOR_RED", "COLOR_BOGUS", "COLOR_GREEN"], "mInt32": {"1": "COLOR_BOGUS", "2": "COLOR_RED"}}';
const lenientXml = "<Kitchen><fString>x</fString><color>COLOR_BOGUS</color><rColor>COLOR_RED</rColor><rColor>COLOR_BOGUS</rColor></Kitchen>";

enums("bodies by default: an unknown name is unset, never the zero value", async ({ gateway, server }) => {
  const { status, body } = await send(gateway, "/v1/echo", { method: "POST", headers: json, body: lenientBody });
  assert.is(status, 200, JSON.stringify(body));
  assert.equal(server.received.at(-1), { f_string: "x", r_color: ["COLOR_RED", "COLOR_GREEN"], m_int32: { 2: "COLOR_RED" } });
  assert.not.ok("color" in server.received.at(-1)!);
  const fromXml = await send(gateway, "/v1/echo", { method: "POST", headers: xml, body: lenientXml });
  assert.is(fromXml.status, 200, JSON.stringify(fromXml.body));
  assert.equal(server.received.at(-1), { f_string: "x", r_color: ["COLOR_RED"] });
});

enums("bodies with json.rejectUnknownFields: an unknown name is 400 naming the field", async ({ gateway, server }) => {
  const before = server.received.length;
  const rows: Array<readonly [string, Record<string, string>, string, RegExp]> = [
    ["JSON, singular", json, '{"color": "COLOR_BOGUS"}', /^color: "COLOR_BOGUS" is not a value of rosetta\.test\.v1\.Color/],
    ["JSON, repeated", json, '{"rColor": ["COLOR_RED", "COLOR_BOGUS"]}', /^rColor\[1\]: "COLOR_BOGUS" is not a value/],
    ["JSON, map value", json, '{"mInt32": {"1": "COLOR_BOGUS"}}', /^mInt32\["1"\]: "COLOR_BOGUS" is not a value/],
    ["XML", xml, "<Kitchen><color>COLOR_BOGUS</color></Kitchen>", /"COLOR_BOGUS" is not a value of rosetta\.test\.v1\.Color/],
  ];
  for (const [description, headers, text, message] of rows) {
    const { status, body } = await send(gateway, "/strict/echo", { method: "POST", headers, body: text });
    assert.is(status, 400, `${description}: ${JSON.stringify(body)}`);
    assert.match(body.message ?? "", message, description);
  }
  assert.is(server.received.length, before);
});

enums.run();
