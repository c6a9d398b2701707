import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseStringPromise } from "xml2js";
import { createGateway, type Gateway } from "../../src/index.js";
import { ConfigError } from "../../src/options/error-codes.js";
import { startCheckedServer, type CheckedServer } from "../helpers/checked-server.js";
import { tcpClient } from "../helpers/frame-clients.js";

const mock = suite<{ upstream: CheckedServer; gateway: Gateway }>("mock filter");

mock.before(async (context) => {
  context.upstream = await startCheckedServer();
  context.gateway = await createGateway({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
      { name: "frames", protocol: "tcp", host: "127.0.0.1", port: 0 },
    ],
    protos: { include: [join(process.cwd(), "test/protos")] },
    services: { checked: { protocol: "grpc", targets: [context.upstream.target], protos: ["rosetta/test/v1/checked.proto"], unannotatedMethods: false } },
    routes: [
      {
        id: "fixed",
        match: { path: "/fixed/{name}" },
        filters: [{ mock: { status: 201, headers: { "x-mocked": "yes" }, body: { name: "fixed", price: "12", tags: ["a", "b"] } } }],
        upstream: { service: "checked", method: "rosetta.test.v1.Checked/GetItem" },
      },
      { id: "generated", match: { path: "/generated/{name}" }, filters: [{ mock: { generate: true, seed: 7 } }], upstream: { service: "checked", method: "rosetta.test.v1.Checked/GetItem" } },
      { id: "reseeded", match: { path: "/reseeded/{name}" }, filters: [{ mock: { generate: true, seed: 8 } }], upstream: { service: "checked", method: "rosetta.test.v1.Checked/GetItem" } },
    ],
  });
  await context.gateway.listen();
});

mock.after(async ({ gateway, upstream }) => {
  await gateway.stop(0);
  await upstream.close();
});

mock("a fixed response, in JSON, without calling the upstream", async ({ gateway, upstream }) => {
  const response = await gateway.inject({ path: "/fixed/x" });
  assert.is(response.status, 201);
  assert.is(response.headers["x-mocked"], "yes");
  // Written through the route's ProtoJSON mapping, as the upstream's reply would be (unset fields included where the mapping emits them).
  const body = JSON.parse(response.body.toString());
  assert.equal([body.name, body.price, body.tags], ["fixed", "12", ["a", "b"]]);
  assert.is(upstream.calls.length, 0);
});

mock("a fixed response to an XML caller is XML typed by the response message", async ({ gateway }) => {
  const response = await gateway.inject({ path: "/fixed/x", headers: { accept: "application/xml" } });
  assert.match(String(response.headers["content-type"]), /xml/);
  const parsed = await parseStringPromise(response.body.toString(), { explicitArray: false });
  assert.is(parsed.Item.name, "fixed");
  assert.equal(parsed.Item.tags, ["a", "b"]);
});

mock("a generated response: every field kind plausible, deterministic by seed", async ({ gateway, upstream }) => {
  const first = JSON.parse((await gateway.inject({ path: "/generated/x" })).body.toString());
  const again = JSON.parse((await gateway.inject({ path: "/generated/y" })).body.toString());
  const other = JSON.parse((await gateway.inject({ path: "/reseeded/x" })).body.toString());
  assert.equal(first, again, "same seed, same message");
  assert.not.equal(first, other, "another seed, another message");
  assert.match(first.name, /^name-\d+$/);
  assert.match(first.email, /^user\d+@example\.com$/);
  assert.match(first.price, /^\d+$/, "int64 as a JSON string");
  assert.type(first.weight, "number");
  assert.is(first.kind, "KIND_BOOK", "first non-zero enum value");
  assert.is(first.tags.length, 2);
  assert.is(first.parts.length, 2);
  assert.match(first.parts[0].id, /^id-\d+$/);
  assert.match(first.part.id, /^id-\d+$/);
  assert.match(first.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "Timestamp in its JSON form");
  assert.equal(Object.keys(first.labels), ["key1", "key2"]);
  assert.is(first.active, true);
  assert.ok(first.first !== undefined && first.second === undefined, "one member per oneof");
  assert.is(upstream.calls.length, 0);
});

mock("a generated response over a TCP frame listener, in the frame's format", async ({ gateway, upstream }) => {
  const frames = gateway.listeners.find((listener) => listener.name === "frames")!;
  const client = await tcpClient(frames.address().port);
  try {
    const [reply] = await client.call({ id: "1", method: "GET", path: "/generated/x" });
    assert.is(reply!.status, 200);
    assert.match(reply!.body.name, /^name-\d+$/);
    assert.is(reply!.body.kind, "KIND_BOOK");
  } finally {
    client.close();
  }
  assert.is(upstream.calls.length, 0);
});

mock("config errors: generate without a response type; a body that is not the response type", async () => {
  try {
    await createGateway({
      listeners: [{ protocol: "http", port: 0 }],
      protos: { include: [join(process.cwd(), "test/protos")] },
      services: { plain: { protocol: "http", targets: ["http://127.0.0.1:1"] }, checked: { protocol: "grpc", targets: ["127.0.0.1:1"], protos: ["rosetta/test/v1/checked.proto"] } },
      routes: [
        { id: "untyped", filters: [{ mock: { generate: true } }], upstream: { service: "plain" } },
        { id: "wrong", match: { path: "/w" }, filters: [{ mock: { body: { price: "lots" } } }], upstream: { service: "checked", method: "rosetta.test.v1.Checked/GetItem" } },
      ],
    });
    assert.unreachable("created");
  } catch (error) {
    assert.instance(error, ConfigError);
    const paths = (error as ConfigError).problems.map((problem) => problem.path);
    assert.ok(paths.includes("routes[0].filters[0].mock.generate"), paths.join());
    assert.ok(paths.includes("routes[1].filters[0].mock.body"), paths.join());
  }
});

mock.run();
