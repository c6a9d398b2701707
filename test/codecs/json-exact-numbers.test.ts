import { test } from "uvu";
import * as assert from "uvu/assert";
import { ExactNumber } from "../../src/core/exact-number.js";
import { createJsonCodec } from "../../src/codecs/json/json-codec.js";
import { createJsonFrameFormat } from "../../src/frames/json-frame-format.js";

const json = createJsonCodec({ maxDepth: 64, maxBytes: 1024 * 1024, offloadAbove: 64 * 1024, workers: 0 });
const decode = (text: string) => json.decode(Buffer.from(text));
const encode = (value: unknown) => Buffer.from(json.encode(value)).toString();

const exactRows: Array<readonly [description: string, token: string]> = [
  ["2^53 + 1", "9007199254740993"],
  ["negative uint64-sized", "-18446744073709551615"],
  ["exponent beyond 2^53 with few digits", "123456789012345e10"],
  ["a huge exponent", "1e300"],
  ["a long decimal that rounds to an integer", "1.0000000000000001"],
  ["a long decimal exponent", "9.007199254740993e15"],
];

for (const [description, token] of exactRows) {
  test(`decode keeps the text of ${description} (${token}) and encode writes it back`, () => {
    const value = decode(`{"a":[${token}],"b":${token}}`) as { a: unknown[]; b: unknown };
    assert.instance(value.b, ExactNumber);
    assert.is((value.b as ExactNumber).text, token);
    assert.is((value.a[0] as ExactNumber).text, token);
    assert.is(encode(value), `{"a":[${token}],"b":${token}}`);
  });
}

const plainRows: Array<readonly [description: string, text: string]> = [
  ["safe integers", '{"a":9007199254740991,"b":-9007199254740991,"c":0}'],
  ["full-precision doubles that are not integers", '{"a":3.141592653589793,"b":52.52000659999999,"c":1.5e-300}'],
  ["short exponent forms", '{"a":1e3,"b":2.5E2}'],
  ["long digit runs and exponent-like text inside strings", '{"a":"9007199254740993","b":"3e4f-1e300","c":"\\"12345678901234567890\\""}'],
];

for (const [description, text] of plainRows) {
  test(`decode leaves ${description} as JSON.parse gives them`, () => {
    assert.equal(decode(text), JSON.parse(text));
  });
}

test("a caller cannot forge an ExactNumber with a string", () => {
  const value = decode('{"a":"\\ue000:0","b":9007199254740993}') as Record<string, unknown>;
  assert.is(value.a, "\ue000:0");
  assert.instance(value.b, ExactNumber);
});

test("other JSON writers see the nearest double, as before", () => {
  const value = decode('{"b":9007199254740993}');
  assert.is(JSON.stringify(value), '{"b":9007199254740992}');
  assert.is(encode(value), '{"b":9007199254740993}');
  assert.is(encode({ plain: 1 }), '{"plain":1}');
});

test("a JSON frame (to a TCP upstream, or back to a caller) writes a body's exact numbers by their text", async () => {
  const frames = createJsonFrameFormat(json);
  const frame = await frames.decode(Buffer.from('{"id":"7","method":"POST","path":"/x","body":{"n":9007199254740993}}'));
  assert.is(Buffer.from(frames.encode(frame)).toString(), '{"id":"7","method":"POST","path":"/x","body":{"n":9007199254740993}}');
});

test.run();
