import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createGateway, type Gateway } from "../../src/index.js";
import { ConfigError } from "../../src/options/error-codes.js";
import { startCheckedServer, type CheckedServer } from "../helpers/checked-server.js";

interface Context {
  upstream: CheckedServer;
  http: Server;
  httpCalls: number;
  folder: string;
  gateway: Gateway;
}

const validate = suite<Context>("validate filter");

const checkedService = (target: string) => ({ protocol: "grpc", targets: [target], protos: ["rosetta/test/v1/checked.proto"], unannotatedMethods: false });

validate.before(async (context) => {
  context.upstream = await startCheckedServer();
  context.httpCalls = 0;
  context.http = createServer((request, response) => {
    context.httpCalls++;
    request.resume();
    response.setHeader("content-type", "application/json");
    response.end('{"ok":true}');
  });
  context.http.listen(0, "127.0.0.1");
  await once(context.http, "listening");
  const port = (context.http.address() as { port: number }).port;
  context.folder = mkdtempSync(join(tmpdir(), "rosetta-validate-"));
  writeFileSync(
    join(context.folder, "order.schema.json"),
    JSON.stringify({
      type: "object",
      required: ["id", "lines"],
      properties: { id: { type: "string", minLength: 3 }, lines: { type: "array", items: { type: "object", properties: { qty: { type: "integer", minimum: 1 } } } } },
    }),
  );
  context.gateway = await createGateway(
    {
      listeners: [{ name: "web", protocol: "http", port: 0 }],
      protos: { include: [join(process.cwd(), "test/protos")] },
      services: { checked: checkedService(context.upstream.target), orders: { protocol: "http", targets: [`http://127.0.0.1:${port}`] } },
      routes: [
        {
          id: "create",
          match: { path: "/v1/shelves/{shelf}/items", methods: ["POST"] },
          filters: [{ validate: {} }],
          upstream: { service: "checked", method: "rosetta.test.v1.Checked/CreateItem", body: "item" },
        },
        { id: "get", match: { path: "/v1/items/{name=**}", methods: ["GET"] }, filters: ["validate"], upstream: { service: "checked", method: "rosetta.test.v1.Checked/GetItem" } },
        { id: "orders", match: { path: "/orders" }, filters: [{ validate: { schema: "order.schema.json" } }], upstream: { service: "orders" } },
      ],
    },
    { baseDirectory: context.folder },
  );
});

validate.after(async ({ upstream, http, gateway, folder }) => {
  await gateway.stop(0);
  await upstream.close();
  http.close();
  rmSync(folder, { recursive: true, force: true });
});

const validItem = { name: "n", price: "10", tags: ["ab", "cd"], kind: "KIND_BOOK", part: { id: "p1" } };

interface BadRequest {
  code: number;
  message: string;
  details: { "@type": string; fieldViolations: { field: string; description: string }[] }[];
}

const violationsOf = (body: Buffer) => {
  const status = JSON.parse(body.toString()) as BadRequest;
  assert.is(status.code, 3);
  assert.is(status.details[0]!["@type"], "type.googleapis.com/google.rpc.BadRequest");
  return Object.fromEntries(status.details[0]!.fieldViolations.map((violation) => [violation.field, violation.description]));
};

validate("a valid request reaches the real gRPC upstream", async ({ gateway, upstream }) => {
  const before = upstream.calls.length;
  const response = await gateway.inject({ method: "POST", path: "/v1/shelves/s1/items?count=2", body: validItem });
  assert.is(response.status, 200, response.body.toString());
  assert.is(upstream.calls.length, before + 1);
  assert.is(upstream.calls.at(-1)!.request.count, 2);
});

validate("REQUIRED (field_behavior and buf.validate required) missing: 400 naming each field, upstream not called", async ({ gateway, upstream }) => {
  const before = upstream.calls.length;
  const response = await gateway.inject({ method: "POST", path: "/v1/shelves/s1/items?count=2", body: { price: "10", tags: ["ab"], kind: 1 } });
  assert.is(response.status, 400);
  const violations = violationsOf(response.body);
  assert.is(violations["item.name"], "value is required");
  assert.is(violations["item.part"], "value is required");
  assert.is(upstream.calls.length, before);
  const missingBody = violationsOf((await gateway.inject({ method: "POST", path: "/v1/shelves/s1/items?count=2" })).body);
  assert.is(missingBody.item, "value is required");
});

const cases: [string, Record<string, unknown>, string, string][] = [
  ["string pattern", { code: "abcd" }, "item.code", "value does not match regex pattern `^[A-Z]{3}$`"],
  ["string email", { email: "not-an-address" }, "item.email", "value must be a valid email address"],
  ["string in", { color: "blue" }, "item.color", "value must be in list [red, green]"],
  ["string not_in", { word: "bad" }, "item.word", "value must not be in list [bad, worse]"],
  ["string prefix", { word: "dud" }, "item.word", "value does not have prefix `w`"],
  ["string suffix", { word: "was" }, "item.word", "value does not have suffix `d`"],
  ["string min_len", { title: "a" }, "item.title", "value length must be at least 2 characters"],
  ["string max_len", { title: "abcdef" }, "item.title", "value length must be at most 5 characters"],
  ["int64 gt (zero value checked)", { price: "0" }, "item.price", "value must be greater than 0"],
  ["int64 lt", { price: "1000000" }, "item.price", "value must be less than 1000000"],
  ["double gte", { weight: 0.25 }, "item.weight", "value must be greater than or equal to 0.5"],
  ["double lte", { weight: 100.5 }, "item.weight", "value must be less than or equal to 100"],
  ["uint32 in", { level: 7 }, "item.level", "value must be in list [1, 2, 3]"],
  ["int32 const", { answer: 41 }, "item.answer", "value must equal 42"],
  ["repeated min_items", { tags: [] }, "item.tags", "value must contain at least 1 item(s)"],
  ["repeated max_items", { tags: ["aa", "bb", "cc", "dd"] }, "item.tags", "value must contain no more than 3 item(s)"],
  ["repeated unique", { tags: ["aa", "aa"] }, "item.tags", "repeated value must contain unique items"],
  ["repeated items rules", { tags: ["aa", "b"] }, "item.tags[1]", "value length must be at least 2 characters"],
  ["enum defined_only", { kind: 9 }, "item.kind", "value must be one of the defined enum values"],
  ["nested message REQUIRED", { parts: [{ id: "x" }, {}] }, "item.parts[1].id", "value is required"],
];

for (const [title, change, field, description] of cases) {
  validate(`constraint: ${title}`, async ({ gateway }) => {
    const response = await gateway.inject({ method: "POST", path: "/v1/shelves/s1/items?count=2", body: { ...validItem, ...change } });
    assert.is(response.status, 400, response.body.toString());
    const violations = violationsOf(response.body);
    assert.is(violations[field], description, JSON.stringify(violations));
    assert.is(Object.keys(violations).length, 1, JSON.stringify(violations));
  });
}

validate("several violations at once, path and query included, in one BadRequest", async ({ gateway, upstream }) => {
  const before = upstream.calls.length;
  const response = await gateway.inject({ method: "POST", path: "/v1/shelves/s/items?count=11", body: { ...validItem, name: "", code: "x", tags: [] } });
  assert.is(response.status, 400);
  const violations = violationsOf(response.body);
  assert.equal(Object.keys(violations).sort(), ["count", "item.code", "item.name", "item.tags", "shelf"]);
  assert.is(violations.shelf, "value length must be at least 2 characters");
  assert.is(violations.count, "value must be less than or equal to 10");
  assert.match(JSON.parse(response.body.toString()).message, /\(and 4 more\)/);
  assert.is(upstream.calls.length, before);
});

validate("path and query fields of a GET route are validated", async ({ gateway, upstream }) => {
  const ok = await gateway.inject({ path: "/v1/items/items/1?version=2" });
  assert.is(ok.status, 200, ok.body.toString());
  assert.is(upstream.calls.at(-1)!.request.name, "items/1");
  const bad = violationsOf((await gateway.inject({ path: "/v1/items/books/1?version=9" })).body);
  assert.equal(bad, { name: "value does not have prefix `items/`", version: "value must be less than or equal to 5" });
});

validate("an XML body is validated by the same rules", async ({ gateway }) => {
  const response = await gateway.inject({
    method: "POST",
    path: "/v1/shelves/s1/items?count=2",
    headers: { "content-type": "application/xml", accept: "application/json" },
    body: "<Item><price>5</price><tags>ab</tags><kind>KIND_BOOK</kind><part><id>p</id></part></Item>",
  });
  assert.is(response.status, 400, response.body.toString());
  assert.equal(violationsOf(response.body), { "item.name": "value is required" });
});

validate("JSON Schema on an HTTP route without a proto: every violation, upstream not called", async (context) => {
  const before = context.httpCalls;
  const response = await context.gateway.inject({ method: "POST", path: "/orders", body: { id: "a", lines: [{ qty: 1 }, { qty: 0 }] } });
  assert.is(response.status, 400, response.body.toString());
  const violations = violationsOf(response.body);
  assert.is(violations.id, "must NOT have fewer than 3 characters");
  assert.is(violations["lines[1].qty"], "must be >= 1");
  assert.is(violationsOf((await context.gateway.inject({ method: "POST", path: "/orders", body: {} })).body).id, "must have required property 'id'");
  assert.is(context.httpCalls, before);
  const ok = await context.gateway.inject({ method: "POST", path: "/orders", body: { id: "abc", lines: [] } });
  assert.is(ok.status, 200);
  assert.is(context.httpCalls, before + 1);
});

validate("config errors: validate on a route with no type and no schema; a schema file that does not exist", async ({ upstream, folder }) => {
  try {
    await createGateway(
      {
        listeners: [{ protocol: "http", port: 0 }],
        services: { orders: { protocol: "http", targets: ["http://127.0.0.1:1"] } },
        filters: ["validate"],
        routes: [
          { id: "untyped", filters: ["validate"], upstream: { service: "orders" } },
          { id: "missing", filters: [{ validate: { schema: "nope.json" } }], upstream: { service: "orders" } },
        ],
      },
      { baseDirectory: folder },
    );
    assert.unreachable("created");
  } catch (error) {
    assert.instance(error, ConfigError);
    const problems = (error as ConfigError).problems;
    assert.ok(problems.some((problem) => problem.path === "routes[0].filters[0].validate" && /request type/.test(problem.message)));
    assert.ok(problems.some((problem) => problem.path === "filters[0].validate" && /global filter/.test(problem.message)));
    assert.ok(problems.some((problem) => problem.path === "routes[1].filters[0].validate.schema" && /nope\.json/.test(problem.message)));
  }
  assert.ok(upstream.target);
});

validate.run();
