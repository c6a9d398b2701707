import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import protobuf from "protobufjs";
import { messageShape, type MessageShape } from "../../src/protojson/message-shape.js";
import type { Codec } from "../../src/codecs/codec.js";
import { createProtobufCodec } from "../../src/codecs/protobuf/protobuf-codec.js";
import { ProtoJsonMapping } from "../../src/protojson/protojson-mapping.js";
import { defaultProtoJsonOptions } from "../../src/protojson/protojson-options.js";
import { GatewayError } from "../../src/core/gateway-error.js";
import { StatusCode } from "../../src/core/status-code.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { randomMessageJson, seededRandom } from "../helpers/random-protojson.js";

/**
 * application/x-protobuf bodies are read strictly: every malformed body is
 * INVALID_ARGUMENT saying what is wrong, never a value and never another
 * error. protobufjs's own Reader accepts most of these rows.
 */
let registry: ProtoRegistry;
let kitchen: MessageShape;
const codec: Codec = createProtobufCodec({ maxBytes: 1024 * 1024, maxDepth: 100 });

test.before(async () => {
  registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/kitchen.proto"]);
  kitchen = messageShape(registry.findType("rosetta.test.v1.Kitchen")!, ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions));
});

/** Kitchen.nested (17) holding `levels` levels of Nested.children (3). */
function nested(levels: number): Uint8Array {
  const writer = protobuf.Writer.create();
  writer.uint32((17 << 3) | 2).fork();
  for (let level = 1; level < levels; level++) writer.uint32((3 << 3) | 2).fork();
  for (let level = 0; level < levels; level++) writer.ldelim();
  return writer.finish();
}

const malformed: Array<readonly [description: string, bytes: () => number[] | Uint8Array, message: RegExp]> = [
  ["wire type 6", () => [0x0e, 0x00], /wire type 6, which does not exist/],
  ["wire type 7", () => [0x0f, 0x00], /wire type 7, which does not exist/],
  ["wire type 6 on an unknown field", () => [0xfe, 0x07, 0x00], /wire type 6, which does not exist/],
  ["field number 0", () => [0x02, 0x00], /field number 0/],
  ["a length past the end", () => [0x72, 0x05, 0x61, 0x62], /length of field 14 \(f_string\) at byte 1 is 5, past the end/],
  ["a length of 2^31", () => [0x72, 0x80, 0x80, 0x80, 0x80, 0x08, 0x61], /is 2147483648, at least 2\^31/],
  [
    "a length past the end of a nested message (inside the buffer)",
    () => [0x8a, 0x01, 0x02, 0x0a, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65],
    /length of field 1 \(name\) at byte 4 is 5, past the end of its message/,
  ],
  ["invalid UTF-8 in a string", () => [0x72, 0x02, 0xc3, 0x28], /field 14 \(f_string\) at byte 2 is not valid UTF-8/],
  ["an unpaired surrogate in a string", () => [0x72, 0x03, 0xed, 0xa0, 0x80], /not valid UTF-8/],
  ["a wire type that does not fit the field", () => [0x1a, 0x01, 0x00], /field 3 \(f_int32\) has wire type 2, not 0/],
  ["a truncated varint", () => [0x18, 0x80], /index out of range|past the end/],
  ["a truncated double", () => [0x09, 0x00, 0x00, 0x00], /index out of range|past the end/],
  ["a varint longer than 10 bytes in a key", () => [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /longer than 10 bytes/],
  ["an unclosed group", () => [0xa3, 0x06, 0x08, 0x01], /past the end/],
  ["an end-group without a group", () => [0xa4, 0x06], /end-group key of field 100 without a group/],
  ["a packed field longer than its message", () => [0x92, 0x01, 0x09, 0x01, 0x02], /past the end/],
  ["messages nested 101 deep", () => nested(101), /nested deeper than the limit of 100/],
];

for (const [description, bytes, message] of malformed) {
  test(`refused: ${description}`, () => {
    try {
      const value = codec.decode(Uint8Array.from(bytes()), kitchen);
      assert.unreachable(`decoded to ${JSON.stringify(value)}`);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      assert.is(error.code, StatusCode.INVALID_ARGUMENT);
      assert.match(error.message, /^malformed rosetta\.test\.v1\.Kitchen message: /);
      assert.match(error.message, message);
    }
  });
}

test("accepted: nesting at the limit, unknown fields of every wire type (skipped), groups", () => {
  assert.ok(codec.decode(nested(100), kitchen));
  const unknown = [0xa0, 0x06, 0x96, 0x01, 0xa1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xa2, 0x06, 0x01, 0xff, 0xa5, 0x06, 1, 2, 3, 4, 0xa3, 0x06, 0x08, 0x01, 0xa4, 0x06];
  const value = codec.decode(Uint8Array.from([...unknown, 0x72, 0x02, 0x6f, 0x6b]), kitchen) as Record<string, unknown>;
  assert.is(value.fString, "ok");
});

test("codecs.protobuf.maxDepth sets the limit", () => {
  const shallow = createProtobufCodec({ maxBytes: 1024, maxDepth: 3 });
  assert.ok(shallow.decode(nested(3), kitchen));
  assert.throws(
    () => shallow.decode(nested(4), kitchen),
    (error: unknown) => error instanceof GatewayError && /deeper than the limit of 3/.test(error.message),
  );
});

/** Decoding either succeeds with a value that encodes again, or fails with INVALID_ARGUMENT — nothing else. */
function decodesOrRefuses(bytes: Uint8Array): boolean {
  let value: unknown;
  try {
    value = codec.decode(bytes, kitchen);
  } catch (error) {
    if (error instanceof GatewayError && error.code === StatusCode.INVALID_ARGUMENT) return true;
    throw error;
  }
  codec.encode(value, kitchen);
  return true;
}

test("fuzz: random bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), decodesOrRefuses), { numRuns: 3000, seed: 42 });
});

test("fuzz: valid messages with bytes changed, inserted, removed", () => {
  const random = seededRandom(7);
  const valid = Array.from({ length: 20 }, () => codec.encode(randomMessageJson(kitchen.type, random, registry), kitchen)).filter((bytes) => bytes.length > 0);
  const mutation = fc.record({
    message: fc.nat({ max: valid.length - 1 }),
    edits: fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom("set", "insert", "remove", "truncate"), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
  });
  fc.assert(
    fc.property(mutation, ({ message, edits }) => {
      const bytes = [...valid[message]!];
      for (const { at, kind, byte } of edits) {
        const index = at % (bytes.length + 1);
        if (kind === "set" && index < bytes.length) bytes[index] = byte;
        else if (kind === "insert") bytes.splice(index, 0, byte);
        else if (kind === "remove") bytes.splice(index, 1);
        else if (kind === "truncate") bytes.length = index;
      }
      return decodesOrRefuses(Uint8Array.from(bytes));
    }),
    { numRuns: 3000, seed: 42 },
  );
});

test.run();
