import { test } from "uvu";
import * as assert from "uvu/assert";
import { fromBinary, fromJson, toBinary, toJson, type DescMessage, type FileRegistry } from "@bufbuild/protobuf";
import type protobuf from "protobufjs";
import { ProtoJsonMapping } from "../../src/protojson/protojson-mapping.js";
import { defaultProtoJsonOptions } from "../../src/protojson/protojson-options.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { bufbuildRegistry } from "../helpers/bufbuild-oracle.js";
import { randomMessageJson, seededRandom } from "../helpers/random-protojson.js";

/**
 * Differential test of the proto3 JSON mapping against @bufbuild/protobuf,
 * which passes the official conformance suite: over many random messages of
 * a type that has every field shape, both must write the same bytes' meaning
 * and read the same JSON.
 */
let registry: ProtoRegistry;
let oracle: FileRegistry;
let kitchen: protobuf.Type;
let description: DescMessage;

test.before(async () => {
  registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/kitchen.proto"]);
  oracle = bufbuildRegistry(registry.root);
  kitchen = registry.findType("rosetta.test.v1.Kitchen")!;
  description = oracle.getMessage("rosetta.test.v1.Kitchen")!;
});

/** Drops the nulls Go-style EmitUnpopulated writes for unset message fields, where bufbuild writes nothing. */
function withoutExtraNulls(ours: unknown, theirs: unknown): unknown {
  if (typeof ours !== "object" || ours === null || Array.isArray(ours) || typeof theirs !== "object" || theirs === null) return ours;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(ours)) {
    if (value === null && !(key in theirs)) continue;
    result[key] = withoutExtraNulls(value, (theirs as Record<string, unknown>)[key]);
  }
  return result;
}

test("JSON → binary: our bytes mean what bufbuild's mean, for 300 random messages", () => {
  const codec = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  const random = seededRandom(42);
  for (let index = 0; index < 300; index++) {
    const json = randomMessageJson(kitchen, random, registry);
    const theirs = toBinary(description, fromJson(description, json as never, { registry: oracle }));
    const ours = codec.encode(kitchen, json);
    const read = (bytes: Uint8Array) => toJson(description, fromBinary(description, bytes), { registry: oracle });
    assert.equal(read(ours), read(theirs), `message ${index}: ${JSON.stringify(json)}`);
  }
});

test("binary → JSON: we write what bufbuild writes (sparse and with unpopulated fields)", () => {
  const sparse = ProtoJsonMapping.forRegistry(registry, { ...defaultProtoJsonOptions, emitUnpopulated: false });
  const full = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  const random = seededRandom(7);
  for (let index = 0; index < 300; index++) {
    const json = randomMessageJson(kitchen, random, registry);
    const message = fromJson(description, json as never, { registry: oracle });
    const bytes = toBinary(description, message);
    assert.equal(sparse.decode(kitchen, bytes), toJson(description, message, { registry: oracle }), `sparse ${index}`);
    // Go's EmitUnpopulated also writes unset message fields as null; bufbuild leaves them out.
    const expected = toJson(description, message, { registry: oracle, alwaysEmitImplicit: true });
    assert.equal(withoutExtraNulls(full.decode(kitchen, bytes), expected), expected, `full ${index}`);
  }
});

test("proto names and enum numbers follow bufbuild's useProtoFieldName / enumAsInteger", () => {
  const codec = ProtoJsonMapping.forRegistry(registry, { ...defaultProtoJsonOptions, emitUnpopulated: false, useProtoNames: true, enumsAsNumbers: true });
  const random = seededRandom(99);
  for (let index = 0; index < 100; index++) {
    const message = fromJson(description, randomMessageJson(kitchen, random, registry) as never, { registry: oracle });
    const expected = toJson(description, message, { registry: oracle, useProtoFieldName: true, enumAsInteger: true });
    assert.equal(codec.decode(kitchen, toBinary(description, message)), expected, `message ${index}`);
  }
});

test.run();
