import { test } from "uvu";
import * as assert from "uvu/assert";
import { createJsonCodec } from "../../src/codecs/json/json-codec.js";
import { GatewayError } from "../../src/core/gateway-error.js";

const codec = createJsonCodec({ maxDepth: 8, maxBytes: 1024, offloadAbove: 64 * 1024, workers: 0 });
const bytes = (text: string) => new TextEncoder().encode(text);

function rejection(text: string): GatewayError {
  try {
    codec.decode(bytes(text));
  } catch (error) {
    assert.instance(error, GatewayError);
    return error as GatewayError;
  }
  throw new Error(`accepted ${text}`);
}

const accepted: Array<[string, string, unknown]> = [
  ["object", '{"a":1,"b":[true,null]}', { a: 1, b: [true, null] }],
  ["depth exactly at the limit", "[[[[[[[[1]]]]]]]]", [[[[[[[[1]]]]]]]]],
  ["brackets inside strings do not count", `{"s":"${"[".repeat(50)}"}`, { s: "[".repeat(50) }],
  ["constructor as a plain field", '{"constructor":"Ford"}', { constructor: "Ford" }],
  ["unicode", '{"name":"café ☕"}', { name: "café ☕" }],
];
for (const [description, text, expected] of accepted) {
  test(`json decode accepts ${description}`, () => assert.equal(codec.decode(bytes(text)), expected));
}

const rejected: Array<[string, string, number, RegExp]> = [
  ["too deep", "[[[[[[[[[1]]]]]]]]]", 3, /nesting exceeds the limit of 8/],
  ["too large", `"${"a".repeat(2000)}"`, 8, /exceeds the limit of 1024/],
  ["__proto__ key", '{"a":{"__proto__":{"polluted":true}}}', 3, /"__proto__" at \$\.a/],
  ["escaped __proto__ key", '{"\\u005f_proto__":{"x":1}}', 3, /__proto__/],
  ["constructor.prototype", '{"constructor":{"prototype":{"x":1}}}', 3, /constructor\.prototype/],
  ["syntax error with position", '{\n  "a": 1,\n  "b": }', 3, /invalid JSON at line 3, column \d+/],
  ["empty body", "", 3, /empty/],
];
for (const [description, text, code, message] of rejected) {
  test(`json decode rejects ${description}`, () => {
    const error = rejection(text);
    assert.is(error.code, code);
    assert.match(error.message, message);
  });
}

test("json decode rejects invalid UTF-8", () => {
  assert.throws(() => codec.decode(new Uint8Array([0x22, 0xff, 0x22])), /not valid UTF-8/);
});

test("nothing reaches Object.prototype", () => {
  rejection('{"__proto__":{"polluted":true}}');
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test.run();
