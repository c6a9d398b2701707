import { test } from "uvu";
import * as assert from "uvu/assert";
import { parsePathTemplate } from "../../src/pipeline/path-template.js";

const valid: Array<[string, string, { segments: number; variables: string[]; verb?: string }]> = [
  ["root", "/", { segments: 0, variables: [] }],
  ["literal", "/v1/shelves", { segments: 2, variables: [] }],
  ["variable", "/v1/shelves/{shelf}", { segments: 3, variables: ["shelf"] }],
  ["nested field", "/v1/{book.shelf}/x", { segments: 3, variables: ["book.shelf"] }],
  ["multi-segment variable", "/v1/{name=shelves/*/books/*}", { segments: 5, variables: ["name"] }],
  ["deep variable", "/v1/{path=**}", { segments: 2, variables: ["path"] }],
  ["bare wildcards", "/v1/*/x/**", { segments: 4, variables: [] }],
  ["verb", "/v1/{name=operations/*}:cancel", { segments: 3, variables: ["name"], verb: "cancel" }],
  ["verb on literal", "/v1/books:batchGet", { segments: 2, variables: [], verb: "batchGet" }],
  ["verb holding colons after a variable (grpc-gateway)", "/v1/{uuid}:custom:custom", { segments: 2, variables: ["uuid"], verb: "custom:custom" }],
  ["colon inside a literal: the last one starts the verb", "/v1/a:b:c", { segments: 2, variables: [], verb: "c" }],
  ["colon inside a middle literal", "/v1/a:b/{id}", { segments: 3, variables: ["id"] }],
];

for (const [description, source, expected] of valid) {
  test(`parses ${description}: ${source}`, () => {
    const result = parsePathTemplate(source);
    assert.ok(result.ok, JSON.stringify(result));
    if (!result.ok) return;
    assert.is(result.template.segments.length, expected.segments);
    assert.equal(
      result.template.variables.map((variable) => variable.fieldPath),
      expected.variables,
    );
    assert.is(result.template.verb, expected.verb);
  });
}

const invalid: Array<[string, string, RegExp]> = [
  ["no leading slash", "v1/x", /must start with "\/"/],
  ["unclosed brace", "/v1/{name", /unclosed/],
  ["nested variable", "/v1/{a={b}}", /nest|invalid/],
  ["** not last", "/v1/**/x", /must be the last/],
  ["duplicate variable", "/v1/{a}/{a}", /appears twice/],
  ["bad variable name", "/v1/{1a}", /invalid variable name/],
  ["prototype name", "/v1/{__proto__}", /invalid variable name/],
  ["empty segment", "/v1//x", /invalid segment/],
  ["trailing slash", "/v1/", /trailing slash/],
];

for (const [description, source, message] of invalid) {
  test(`rejects ${description}: ${source}`, () => {
    const result = parsePathTemplate(source);
    assert.not.ok(result.ok);
    if (!result.ok) assert.match(result.error, message);
  });
}

test.run();
