import { test } from "uvu";
import * as assert from "uvu/assert";
import { emptyBody } from "../../src/core/body.js";
import { createRequestEnvelope } from "../../src/core/request.js";
import { compileConditions, conditionFields } from "../../src/pipeline/conditions.js";
import { INVALID, object, ParseContext } from "../../src/options/schema.js";

const schema = object(conditionFields());

function compile(input: unknown) {
  const context = new ParseContext();
  const parsed = schema.parse(input, context);
  if (parsed === INVALID) throw new Error(JSON.stringify(context.problems));
  return compileConditions(parsed)!;
}

function request(host: string, headers: Record<string, string> = {}, rawQuery = "", listener = "web") {
  return createRequestEnvelope({
    method: "GET",
    path: "/",
    rawQuery,
    headers: { host, ...headers },
    body: emptyBody,
    requestId: "t",
    peer: { address: "127.0.0.1", port: 1, listener, protocol: "http", scheme: "http" },
  });
}

const cases: Array<[string, unknown, ReturnType<typeof request>, boolean]> = [
  ["exact host, port ignored", { host: "api.example.com" }, request("api.example.com:8080"), true],
  ["host differs", { host: "api.example.com" }, request("www.example.com"), false],
  ["wildcard host", { host: "*.example.com" }, request("a.b.example.com"), true],
  ["wildcard needs a label", { host: "*.example.com" }, request("example.com"), false],
  ["header equals", { headers: { "X-Tenant": "acme" } }, request("h", { "x-tenant": "acme" }), true],
  ["header prefix", { headers: { "user-agent": { prefix: "curl/" } } }, request("h", { "user-agent": "curl/8" }), true],
  ["header regex is anchored", { headers: { "x-v": { regex: "v[0-9]" } } }, request("h", { "x-v": "v12" }), false],
  ["header absent", { headers: { "x-debug": { present: false } } }, request("h"), true],
  ["query equals", { query: { version: "2" } }, request("h", {}, "version=2&x=1"), true],
  ["query missing", { query: { version: "2" } }, request("h", {}, "x=1"), false],
  ["listener", { listeners: ["admin"] }, request("h", {}, "", "web"), false],
  ["any", { any: [{ host: "a.test" }, { host: "b.test" }] }, request("b.test"), true],
  ["all", { all: [{ host: "a.test" }, { headers: { "x-a": "1" } }] }, request("a.test"), false],
  ["not", { not: { headers: { "x-internal": { present: true } } } }, request("h", { "x-internal": "1" }), false],
];

for (const [description, input, req, expected] of cases) {
  test(`condition: ${description}`, () => assert.is(compile(input)(req), expected));
}

test("condition: an invalid regex is reported with its path", () => {
  const context = new ParseContext();
  schema.parse({ headers: { "x-a": { regex: "(" } } }, context);
  assert.is(context.problems[0]?.path, "headers.x-a.regex");
  assert.match(context.problems[0]!.message, /invalid regular expression/);
});

test.run();
