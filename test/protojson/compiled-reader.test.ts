import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import protobuf from "protobufjs";
import { ProtoJsonMapping } from "../../src/protojson/protojson-mapping.js";
import { defaultProtoJsonOptions, type ProtoJsonOptions } from "../../src/protojson/protojson-options.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { randomMessageJson, seededRandom } from "../helpers/random-protojson.js";

/**
 * Differential tests of the readers compiled per message type against the
 * generic path (raw message, then JSON), over random messages of Kitchen
 * (every scalar, enums, nested and recursive messages, repeated packed and
 * unpacked, maps, a oneof, proto3 optional, the well-known types, a custom
 * json_name) and random or mutated bytes: whenever the compiled reader
 * returns, it returns exactly what the generic path returns; when it gives
 * up, the mapping answers with the generic path.
 */
let registry: ProtoRegistry;
let kitchen: protobuf.Type;
const optionSets: ProtoJsonOptions[] = [
  defaultProtoJsonOptions,
  { ...defaultProtoJsonOptions, emitUnpopulated: false },
  { ...defaultProtoJsonOptions, useProtoNames: true, enumsAsNumbers: true },
  { ...defaultProtoJsonOptions, emitUnpopulated: false, useProtoNames: true },
];

test.before(async () => {
  registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/kitchen.proto"]);
  kitchen = registry.findType("rosetta.test.v1.Kitchen")!;
});

type Outcome = { value: unknown } | { error: string };

function outcome(read: () => unknown): Outcome {
  try {
    return { value: read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The compiled reader never disagrees with the generic path; returns whether it answered. */
function agrees(mapping: ProtoJsonMapping, bytes: Uint8Array, maxDepth = 100): boolean {
  const compiled = mapping.reader(kitchen);
  assert.ok(compiled, "Kitchen has a compiled reader");
  const generic = outcome(() => mapping.decodeGeneric(kitchen, bytes, maxDepth));
  const fast = outcome(() => compiled(bytes, maxDepth));
  if ("value" in fast) assert.equal(generic, fast, `bytes ${Buffer.from(bytes).toString("hex")}`);
  // Through the mapping, the answer is the generic one in every case, errors included.
  assert.equal(
    outcome(() => mapping.decode(kitchen, bytes, maxDepth)),
    generic,
  );
  return "value" in fast;
}

test("valid random messages: the compiled reader answers, and answers what the generic path does (4 option sets)", () => {
  for (const options of optionSets) {
    const mapping = ProtoJsonMapping.forRegistry(registry, options);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const bytes = mapping.encode(kitchen, randomMessageJson(kitchen, seededRandom(seed), registry));
        assert.ok(agrees(mapping, bytes), "a well-formed message without repeated message fields is read by the compiled reader");
      }),
      { numRuns: 300, seed: 16 },
    );
  }
});

test("two messages back to back (fields repeated: last one wins, messages merge, oneofs switch) read alike", () => {
  const mapping = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  fc.assert(
    fc.property(fc.integer(), fc.integer(), (first, second) => {
      const a = mapping.encode(kitchen, randomMessageJson(kitchen, seededRandom(first), registry));
      const b = mapping.encode(kitchen, randomMessageJson(kitchen, seededRandom(second), registry));
      agrees(mapping, Buffer.concat([a, b]));
    }),
    { numRuns: 400, seed: 7 },
  );
});

test("mutated and truncated messages, and random bytes, read alike or fail alike", () => {
  const mapping = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  fc.assert(
    fc.property(fc.integer(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (seed, flips, cut) => {
      const bytes = Buffer.from(mapping.encode(kitchen, randomMessageJson(kitchen, seededRandom(seed), registry)));
      if (bytes.byteLength === 0) return;
      for (const [at, value] of flips) bytes[at % bytes.byteLength] = value;
      agrees(mapping, bytes.subarray(0, bytes.byteLength - (cut % 3 === 0 ? cut % bytes.byteLength : 0)));
    }),
    { numRuns: 1500, seed: 42 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => void agrees(mapping, bytes)),
    { numRuns: 1500, seed: 42 },
  );
});

test("nesting limits: messages, map values and well-known types at and past the limit read alike", () => {
  const mapping = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  // Kitchen.nested (17) → Nested.children (3) …, Kitchen.m_int64 (25) value → Nested, Kitchen.data (40) Struct.
  const nested = (levels: number, wrap: (writer: protobuf.Writer) => void) => {
    const writer = protobuf.Writer.create();
    wrap(writer);
    for (let level = 1; level < levels; level++) writer.uint32((3 << 3) | 2).fork();
    for (let level = 0; level < levels; level++) writer.ldelim();
    return writer.finish();
  };
  for (const levels of [1, 2, 3, 4, 5]) {
    for (const maxDepth of [0, 1, 2, 3, 4, 5]) {
      agrees(
        mapping,
        nested(levels, (writer) => writer.uint32((17 << 3) | 2).fork()),
        maxDepth,
      );
      const entry = protobuf.Writer.create()
        .uint32((25 << 3) | 2)
        .fork()
        .uint32(8)
        .int64(7)
        .uint32((2 << 3) | 2)
        .fork();
      for (let level = 1; level < levels; level++) entry.uint32((3 << 3) | 2).fork();
      for (let level = 0; level < levels + 1; level++) entry.ldelim();
      agrees(mapping, entry.finish(), maxDepth);
      const struct = mapping.encode(kitchen, { data: levels > 2 ? { a: { b: { c: [1, { d: null }] } } } : { a: 1 } });
      agrees(mapping, struct, maxDepth);
    }
  }
});

test("the reader of a type is compiled once and kept; a well-known type at the top has none", () => {
  const mapping = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  assert.is(mapping.reader(kitchen), mapping.reader(kitchen));
  assert.is(mapping.reader(registry.findType("google.protobuf.Timestamp")!), undefined);
});

test.run();
