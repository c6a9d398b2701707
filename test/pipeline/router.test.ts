import { test } from "uvu";
import * as assert from "uvu/assert";
import { emptyBody } from "../../src/core/body.js";
import { createRequestEnvelope } from "../../src/core/request.js";
import type { RequestEnvelope } from "../../src/core/envelope.js";
import { parsePathTemplate } from "../../src/pipeline/path-template.js";
import { Router, type RouteEntry } from "../../src/pipeline/router.js";
import type { Condition } from "../../src/pipeline/conditions.js";

function route(id: string, path: string, methods?: string[], condition?: Condition): RouteEntry {
  const parsed = parsePathTemplate(path);
  if (!parsed.ok) throw new Error(parsed.error);
  return { id, template: parsed.template, methods: methods === undefined ? undefined : new Set(methods), condition };
}

function request(method: string, path: string, headers: Record<string, string> = {}): RequestEnvelope {
  return createRequestEnvelope({
    method,
    path,
    rawQuery: "",
    headers,
    body: emptyBody,
    requestId: "t",
    peer: { address: "127.0.0.1", port: 1, listener: "web", protocol: "http", scheme: "http" },
  });
}

const router = new Router([
  route("list-shelves", "/v1/shelves", ["GET"]),
  route("get-shelf", "/v1/shelves/{shelf}", ["GET"]),
  route("special-shelf", "/v1/shelves/special", ["GET"]),
  route("delete-shelf", "/v1/shelves/{shelf}", ["DELETE"]),
  route("get-book", "/v1/{name=shelves/*/books/*}", ["GET"]),
  route("cancel", "/v1/{name=operations/*}:cancel", ["POST"]),
  route("get-operation", "/v1/operations/{id}", ["GET"]),
  route("double-colon", "/v1/things/{uuid}:custom:custom", ["POST"]),
  route("single-colon", "/v1/things/{uuid}:custom", ["POST"]),
  route("files", "/files/{path=**}", ["GET"]),
  route("static", "/static/**"),
  route("tenant", "/v1/tenant", ["GET"], (r) => r.headers["x-tenant"] === "acme"),
  route("root", "/", ["GET"]),
]);

const table: Array<[string, string, string, string | number, Record<string, string>?]> = [
  ["literal path", "GET", "/v1/shelves", "list-shelves"],
  ["single variable", "GET", "/v1/shelves/7", "get-shelf", { shelf: "7" }],
  ["literal beats variable", "GET", "/v1/shelves/special", "special-shelf", {}],
  ["method picks among same template", "DELETE", "/v1/shelves/7", "delete-shelf", { shelf: "7" }],
  ["multi-segment variable", "GET", "/v1/shelves/1/books/2", "get-book", { name: "shelves/1/books/2" }],
  ["custom verb", "POST", "/v1/operations/42:cancel", "cancel", { name: "operations/42" }],
  ["without verb the literal route", "GET", "/v1/operations/42", "get-operation", { id: "42" }],
  ["a verb holding a colon", "POST", "/v1/things/u1:custom:custom", "double-colon", { uuid: "u1" }],
  ["the shorter verb beside it", "POST", "/v1/things/u1:custom", "single-colon", { uuid: "u1" }],
  ["a value with a colon before the verb", "POST", "/v1/things/a:b:custom", "single-colon", { uuid: "a:b" }],
  ["** takes the rest", "GET", "/files/a/b/c.txt", "files", { path: "a/b/c.txt" }],
  ["** takes zero segments", "GET", "/static", "static", {}],
  ["%2F stays inside a single segment and decodes", "GET", "/v1/shelves/a%2Fb", "get-shelf", { shelf: "a/b" }],
  ["%2F stays encoded in a multi-segment value", "GET", "/files/a%2Fb/c", "files", { path: "a%2Fb/c" }],
  ["percent-decoding of other characters", "GET", "/v1/shelves/caf%C3%A9%20bar", "get-shelf", { shelf: "café bar" }],
  ["encoded literal matches", "GET", "/v1/shelve%73", "list-shelves", {}],
  ["root", "GET", "/", "root", {}],
  ["HEAD is served by a GET route", "HEAD", "/v1/shelves", "list-shelves"],
  ["header condition holds", "GET", "/v1/tenant", "tenant", {}],
  ["unknown path", "GET", "/v2/shelves", 404],
  ["trailing slash is another path", "GET", "/v1/shelves/", 404],
  ["empty segment never binds *", "GET", "/v1/shelves//x", 404],
  ["verb on a path without verb routes", "POST", "/v1/shelves/7:archive", 405],
  ["method mismatch", "PUT", "/v1/shelves/7", 405],
];

for (const [description, method, path, expected, params] of table) {
  test(`router: ${description} (${method} ${path})`, () => {
    const headers: Record<string, string> = description.startsWith("header") ? { "x-tenant": "acme" } : {};
    const outcome = router.match(request(method, path, headers));
    if (typeof expected === "string") {
      assert.is(outcome.kind, "matched", JSON.stringify(outcome));
      if (outcome.kind !== "matched") return;
      assert.is(outcome.route.id, expected);
      if (params !== undefined) assert.equal({ ...outcome.params }, params);
    } else {
      assert.is(outcome.kind, expected === 404 ? "not-found" : "method-not-allowed", JSON.stringify(outcome));
    }
  });
}

test("router: a failed condition makes the route invisible (404, not 405)", () => {
  assert.is(router.match(request("GET", "/v1/tenant", { "x-tenant": "other" })).kind, "not-found");
});

test("router: 405 lists every method of the matching path, with HEAD for GET", () => {
  const outcome = router.match(request("PUT", "/v1/shelves/7"));
  assert.equal(outcome.kind === "method-not-allowed" ? outcome.allow : [], ["DELETE", "GET", "HEAD"]);
});

test("router: 10 000 routes still resolve by trie, in microseconds", () => {
  const routes: RouteEntry[] = [];
  for (let index = 0; index < 10_000; index++) routes.push(route(`r${index}`, `/api/v${index % 10}/resource${index}/{id}`, ["GET"]));
  const big = new Router(routes);
  const outcome = big.match(request("GET", "/api/v7/resource9997/abc"));
  assert.is(outcome.kind === "matched" ? outcome.route.id : "", "r9997");
  assert.equal(outcome.kind === "matched" ? { ...outcome.params } : {}, { id: "abc" });
});

test.run();
