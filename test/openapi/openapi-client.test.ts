import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { parse as parseYaml } from "yaml";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { OpenApiClient } from "../helpers/openapi-client.js";
import { startShowcaseServer, type ShowcaseServer } from "../helpers/showcase-server.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";

const client = suite<{ server: ShowcaseServer; shop: TestUpstream; gateway: TestGateway; document: Record<string, unknown> }>(
  "A client built from /openapi.json alone calls every operation through Rosetta; every reply matches the document",
);

client.before(async (context) => {
  context.server = await startShowcaseServer();
  // The typed HTTP route's upstream: answers the item it was sent, with a creation time.
  context.shop = await startUpstream((_request, response, body) => {
    const text = JSON.stringify({ ...(JSON.parse(body.toString("utf8")) as object), createTime: "2024-01-15T10:30:00Z" });
    response.writeHead(200, { "content-type": "application/json" }).end(text);
  });
  context.gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: {
      showcase: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/showcase.proto"], successStatus: { CreateItem: 201 } },
      shop: { protocol: "http", targets: [context.shop.origin], protos: ["rosetta/test/v1/showcase.proto"] },
    },
    routes: [
      {
        id: "raw-item",
        match: { path: "/api/raw/{name=shops/*/items/*}", methods: ["GET"] },
        upstream: { service: "showcase", method: "rosetta.test.v1.Showcase/GetItem", json: { useProtoNames: true, enumsAsNumbers: true } },
      },
      {
        id: "shop-items",
        match: { path: "/shop/items/{id}", methods: ["PUT"] },
        upstream: { service: "shop", path: "/items/{id}", requestType: "rosetta.test.v1.Item", responseType: "rosetta.test.v1.Item" },
      },
    ],
  });
  const response = await request(`${context.gateway.url}/openapi.json`);
  assert.is(response.statusCode, 200);
  assert.match(String(response.headers["content-type"]), "application/json");
  assert.is(response.headers["access-control-allow-origin"], "*", "Swagger UI or Redoc on another origin may read it");
  context.document = (await response.body.json()) as Record<string, unknown>;
});

client.after(async ({ server, shop, gateway }) => {
  await gateway.stop();
  await server.close();
  await shop.close();
});

client("every operation of the document, called with a request made from its schemas, answers its documented status and a body its schema accepts", async ({ gateway, server, document }) => {
  const api = new OpenApiClient(document);
  const calls = api.calls();
  assert.is(calls.length, 14, "every operation");
  const checked: string[] = [];
  for (const call of calls) {
    const streaming = call.responses["application/x-ndjson"] !== undefined;
    const response = await request(`${gateway.url}${call.url}`, {
      method: call.method as "GET",
      headers: { ...(call.contentType === undefined ? {} : { "content-type": call.contentType }), ...(streaming ? { accept: "application/x-ndjson" } : {}) },
      body: call.body,
    });
    const text = await response.body.text();
    const where = `${call.operationId}: ${call.method} ${call.url} ${call.body ?? ""} → ${response.statusCode} ${text}`;
    assert.is(response.statusCode, call.successStatus, where);
    const contentType = String(response.headers["content-type"] ?? "");
    if (streaming) {
      const validate = api.validator(call.responses["application/x-ndjson"]!);
      const lines = text.split("\n").filter((line) => line !== "");
      assert.is(lines.length, 2, where);
      for (const line of lines) assert.ok(validate(JSON.parse(line)), `${where}: ${api.errors(validate)}`);
      assert.ok(
        lines.every((line) => "result" in JSON.parse(line)),
        where,
      );
    } else if (call.responses["*/*"] !== undefined) {
      assert.is(text, "hello", where);
      assert.match(contentType, "text/plain");
    } else {
      const schema = call.responses["application/json"];
      assert.ok(schema, where);
      const validate = api.validator(schema);
      assert.ok(validate(JSON.parse(text)), `${where}: ${api.errors(validate)}`);
    }
    checked.push(call.operationId);
  }
  assert.is(new Set(checked).size, calls.length);
  // Every gRPC method was reached (the typed HTTP route reached its own upstream).
  assert.equal([...new Set(server.calls)].sort(), ["CreateItem", "DeleteItem", "Download", "Everything", "GetItem", "GetPrice", "ListItems", "Ping", "UpdateItem", "UploadItems", "WatchItems"]);
});

client("the server stream as SSE: each data line is a message the document's schema accepts", async ({ gateway, document }) => {
  const api = new OpenApiClient(document);
  const call = api.calls().find((candidate) => candidate.operationId === "Showcase_WatchItems")!;
  assert.ok(call.responses["text/event-stream"]);
  const response = await request(`${gateway.url}${call.url}`, { headers: { accept: "text/event-stream" } });
  assert.match(String(response.headers["content-type"]), "text/event-stream");
  const events = (await response.body.text()).split("\n\n").filter((event) => event.startsWith("data: "));
  assert.is(events.length, 2);
  const validate = api.validator((call.responses["application/x-ndjson"]!.properties as Record<string, Record<string, unknown>>).result!);
  for (const event of events) assert.ok(validate(JSON.parse(event.slice("data: ".length))), api.errors(validate));
});

client("a reply that breaks the document is caught: the check is not vacuous", async ({ document }) => {
  const api = new OpenApiClient(document);
  const validate = api.validator({ $ref: "#/components/schemas/rosetta.test.v1.Item" });
  assert.ok(validate({ title: "t", price: "12" }));
  assert.not.ok(validate({ title: "t", price: 12 }), "int64 as a number");
  assert.not.ok(validate({ title: "t", kind: "KIND_UNKNOWN" }), "an enum name the proto does not have");
  assert.not.ok(validate({ title: "t", downloadUrl: "u", shipping: null }), "two members of a oneof");
  assert.not.ok(validate({ price: "12" }), "title is REQUIRED");
});

client("?format=yaml serves the same document as YAML; an unknown format is a 400 in google.rpc.Status", async ({ gateway, document }) => {
  const response = await request(`${gateway.url}/openapi.json?format=yaml`);
  assert.is(response.statusCode, 200);
  assert.match(String(response.headers["content-type"]), "application/yaml");
  assert.equal(parseYaml(await response.body.text()), document);
  const wrong = await request(`${gateway.url}/openapi.json?format=xml`);
  assert.is(wrong.statusCode, 400);
  assert.match(await wrong.body.text(), "format must be json or yaml");
});

client.run();
