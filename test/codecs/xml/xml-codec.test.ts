import { test } from "uvu";
import * as assert from "uvu/assert";
import type protobuf from "protobufjs";
import { documentShape } from "../../../src/core/body-shape.js";
import { messageShape, type MessageShape } from "../../../src/protojson/message-shape.js";
import { ProtoJsonMapping } from "../../../src/protojson/protojson-mapping.js";
import { defaultProtoJsonOptions } from "../../../src/protojson/protojson-options.js";
import { createXmlCodec, xmlCodecFactory } from "../../../src/codecs/xml/xml-codec.js";
import { schemaDefaults } from "../../../src/options/schema.js";
import { GatewayError } from "../../../src/core/gateway-error.js";
import { ProtoRegistry } from "../../../src/protos/proto-registry.js";

const defaults = schemaDefaults(xmlCodecFactory.optionsSchema);
const xml = createXmlCodec({ ...defaults, workers: 0 });
let kitchen: protobuf.Type;
let shape: MessageShape;
let strict: MessageShape;
let codec: ProtoJsonMapping;

test.before(async () => {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/kitchen.proto"]);
  kitchen = registry.findType("rosetta.test.v1.Kitchen")!;
  codec = ProtoJsonMapping.forRegistry(registry, { ...defaultProtoJsonOptions, emitUnpopulated: false });
  shape = messageShape(kitchen, codec);
  strict = messageShape(kitchen, codec.withOptions({ ...codec.options, rejectUnknownFields: true }));
});

const decode = (text: string, with_ = shape) => xml.decode(Buffer.from(text), with_);
/** What the message holds: the XML decoded, then through the binary form and back. */
const message = (text: string) => codec.decode(kitchen, codec.encode(kitchen, decode(text)));
const failure = (run: () => unknown): GatewayError => {
  try {
    run();
  } catch (error) {
    assert.instance(error, GatewayError);
    return error as GatewayError;
  }
  return assert.unreachable("expected a GatewayError") as never;
};

const table: [string, string, unknown][] = [
  ["a single element of a repeated field is a list", "<K><rString>one</rString></K>", { rString: ["one"] }],
  ["repeated siblings keep their order", "<K><rInt32>3</rInt32><fBool>true</fBool><rInt32>-1</rInt32></K>", { fBool: true, rInt32: [3, -1] }],
  [
    "int64 edges keep every digit",
    "<K><fInt64>-9223372036854775808</fInt64><fUint64>18446744073709551615</fUint64><rInt64>9007199254740993</rInt64></K>",
    { fInt64: "-9223372036854775808", fUint64: "18446744073709551615", rInt64: ["9007199254740993"] },
  ],
  ["enums by name and by number", "<K><color>COLOR_GREEN</color><rColor>1</rColor><rColor>COLOR_RED</rColor></K>", { color: "COLOR_GREEN", rColor: ["COLOR_RED", "COLOR_RED"] }],
  ["nested messages and recursive lists", "<K><nested><name>a</name><children><name>b</name></children></nested></K>", { nested: { name: "a", children: [{ name: "b" }] } }],
  ["a oneof member", "<K><choiceNumber>42</choiceNumber></K>", { choiceNumber: "42" }],
  ["maps as key/value entries", "<K><mString><key>x</key><value>1</value></mString><mBool><key>true</key><value>7</value></mBool></K>", { mString: { x: "1" }, mBool: { true: 7 } }],
  ["XML Schema spellings: INF, 1/0 booleans, whitespace around numbers", "<K><fDouble>-INF</fDouble><fBool>1</fBool><fInt32> 12 </fInt32></K>", { fDouble: "-Infinity", fBool: true, fInt32: 12 }],
  [
    "well-known types in their JSON forms",
    '<K><when>2024-02-29T12:00:00.5Z</when><took>1.5s</took><wInt64>7</wInt64><wBool>false</wBool><data>{"a":[1,"x"]}</data></K>',
    { when: "2024-02-29T12:00:00.500Z", took: "1.500s", wInt64: "7", wBool: false, data: { a: [1, "x"] } },
  ],
  ["bytes as base64, line breaks allowed", "<K><fBytes>aGVs\n bG8=</fBytes></K>", { fBytes: "aGVsbG8=" }],
  [
    "an Any by its type attribute",
    '<K><packed type="type.googleapis.com/rosetta.test.v1.Nested"><name>n</name></packed></K>',
    { packed: { "@type": "type.googleapis.com/rosetta.test.v1.Nested", name: "n" } },
  ],
  ["namespaces and prefixes are matched by local name", '<p:K xmlns:p="urn:x"><p:fString> spaced &amp; kept </p:fString></p:K>', { fString: " spaced & kept " }],
  ["proto names work as well as JSON names", "<K><f_int32>5</f_int32><r_string>a</r_string></K>", { fInt32: 5, rString: ["a"] }],
  ["unknown elements are ignored when lenient", "<K><nope>1</nope><fInt32>2</fInt32></K>", { fInt32: 2 }],
  ["an empty element is the default (or an empty string)", "<K><fString/><nested/></K>", { nested: {} }],
];

for (const [name, input, expected] of table) {
  test(`typed XML: ${name}`, () => assert.equal(message(input), expected));
}

test("typed XML: an empty list round-trips as no element and comes back as []", () => {
  const value = { rString: [], fInt32: 1 };
  const text = Buffer.from(xml.encode(value, shape)).toString();
  assert.not.match(text, "rString");
  const emitting = codec.withOptions({ ...defaultProtoJsonOptions });
  assert.equal((emitting.decode(kitchen, emitting.encode(kitchen, decode(text))) as { rString: unknown }).rString, []);
});

test("typed XML: errors name the element path", () => {
  assert.match(failure(() => decode("<K><fInt32>twelve</fInt32></K>")).message, 'fInt32: "twelve" is not an integer');
  assert.match(failure(() => decode("<K><fBool>yes</fBool></K>")).message, "fBool");
  assert.match(failure(() => decode("<K><fString>a</fString><fString>b</fString></K>")).message, "appears 2 times but f_string is not repeated");
  assert.match(failure(() => decode("<K><nested><count><x/></count></nested></K>")).message, "nested.count: expected text");
  assert.match(failure(() => decode("<K><nope/></K>", strict)).message, 'nope: unknown field "nope" in rosetta.test.v1.Kitchen');
  assert.match(failure(() => decode('<K a="1"/>', strict)).message, 'unknown attribute "a"');
  assert.match(failure(() => decode("<K><packed><name>x</name></packed></K>")).message, "packed: a google.protobuf.Any needs a type=");
});

test("typed XML: writing follows declaration order and XML Schema spellings", () => {
  const text = Buffer.from(xml.encode({ rInt32: [1, 2], fString: "a<b & \r", fDouble: "Infinity", color: "COLOR_RED", mString: { k: "v" } }, shape)).toString();
  assert.is(
    text,
    '<?xml version="1.0" encoding="UTF-8"?><Kitchen><fDouble>INF</fDouble><fString>a&lt;b &amp; &#13;</fString><color>COLOR_RED</color><rInt32>1</rInt32><rInt32>2</rInt32><mString><key>k</key><value>v</value></mString></Kitchen>',
  );
  assert.equal(decode(text), { fDouble: "Infinity", fString: "a<b & \r", color: "COLOR_RED", rInt32: [1, 2], mString: { k: "v" } });
});

test("typed XML: a string XML 1.0 cannot carry is refused, not written broken", () => {
  assert.match(failure(() => xml.encode({ fString: "bell\u0007" }, shape)).message, "U+0007");
});

test("document convention: text stays text, repeats become lists, declared lists are lists with one or no element", () => {
  const lists = documentShape("order", ["items", "tags"]);
  assert.equal(xml.decode(Buffer.from('<order id="7"><items><sku>a</sku></items><note>hi</note><note>there</note></order>'), lists), {
    "@id": "7",
    items: [{ sku: "a" }],
    note: ["hi", "there"],
    tags: [],
  });
  assert.equal(xml.decode(Buffer.from("<x><n>12</n><b>true</b></x>")), { n: "12", b: "true" });
  assert.equal(xml.decode(Buffer.from('<x lang="en">text</x>')), { "@lang": "en", "#text": "text" });
  const written = Buffer.from(xml.encode({ "@id": 7, items: [{ sku: "a" }, { sku: "b" }], empty: null, ok: true }, lists)).toString();
  assert.is(written, '<?xml version="1.0" encoding="UTF-8"?><order id="7"><items><sku>a</sku></items><items><sku>b</sku></items><empty/><ok>true</ok></order>');
  assert.match(failure(() => xml.encode({ "bad key": 1 })).message, 'the key "bad key" cannot be an XML name');
});

test("safety: DOCTYPE, entities, depth, element and attribute limits are refused before parsing", () => {
  const small = createXmlCodec({ ...defaults, workers: 0, maxDepth: 8, maxElements: 20, maxAttributes: 2, maxAttributeBytes: 10, maxBytes: 4096 });
  const cases: [string, string, number][] = [
    ['<!DOCTYPE lolz [<!ENTITY lol "lol">]><lolz>&lol;</lolz>', "<!DOCTYPE are not accepted", 400],
    ['<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>', "no DOCTYPE", 400],
    [`${"<a>".repeat(9)}${"</a>".repeat(9)}`, "nesting exceeds the limit of 8", 400],
    [`<r>${"<a/>".repeat(20)}</r>`, "more than 20 elements", 400],
    ['<a x="1" y="2" z="3"/>', "more than 2 attributes", 400],
    ['<a x="12345678901"/>', "exceeds the limit of 10 bytes", 400],
    ["<a><__proto__>1</__proto__></a>", 'the XML name "__proto__" is not allowed', 400],
    ["<a/><b/>", "more than one root element", 400],
    ["<a><b></a>", "invalid XML at line 1", 400],
    [`<a>${"x".repeat(5000)}</a>`, "exceeds the limit of 4096", 413],
  ];
  for (const [input, message, status] of cases) {
    const error = failure(() => small.decode(Buffer.from(input)));
    assert.match(error.message, message, input.slice(0, 40));
    assert.is(error.httpStatus, status);
  }
});

test("safety: big documents parse on a worker thread and give the same value", async () => {
  const pooled = createXmlCodec({ ...defaults, offloadAbove: 1024, workers: 1 });
  try {
    const text = `<K>${"<rString>x</rString>".repeat(200)}<fInt64>9007199254740993</fInt64></K>`;
    const pending = pooled.decode(Buffer.from(text), shape);
    assert.instance(pending, Promise);
    assert.equal(await (pending as Promise<unknown>), decode(text));
    await (pooled.decode(Buffer.from(`<!DOCTYPE x><K>${" ".repeat(2000)}</K>`), shape) as Promise<unknown>).then(
      () => assert.unreachable("a DOCTYPE must fail on the worker too"),
      (error: unknown) => assert.match((error as GatewayError).message, "DOCTYPE"),
    );
  } finally {
    await pooled.close?.();
  }
});

test.run();
