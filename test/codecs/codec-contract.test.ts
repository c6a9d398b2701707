import { test } from "uvu";
import * as assert from "uvu/assert";
import protobuf from "protobufjs";
import { messageShape, type MessageShape } from "../../src/protojson/message-shape.js";
import { createJsonCodec } from "../../src/codecs/json/json-codec.js";
import { ProtoJsonMapping } from "../../src/protojson/protojson-mapping.js";
import { defaultProtoJsonOptions } from "../../src/protojson/protojson-options.js";
import { createXmlCodec } from "../../src/codecs/xml/xml-codec.js";
import { schemaDefaults } from "../../src/options/schema.js";
import { jsonCodecFactory } from "../../src/codecs/json/json-codec.js";
import { xmlCodecFactory } from "../../src/codecs/xml/xml-codec.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { randomMessageJson, seededRandom } from "../helpers/random-protojson.js";

/**
 * The contract every codec keeps: for every message of the test protos,
 * canonical value → bytes → canonical value gives the same message back.
 * JSON and protobuf give the identical value; XML gives the same message
 * (XML cannot tell an empty list or an unset message from an absent one, so
 * its values are compared after one pass through the message).
 */
interface ContractCodec {
  readonly name: string;
  encode(value: unknown, shape: MessageShape): Uint8Array;
  decode(bytes: Uint8Array, shape: MessageShape): unknown;
  readonly identical: boolean;
}

let registry: ProtoRegistry;
let protoJson: ProtoJsonMapping;
let types: protobuf.Type[];

test.before(async () => {
  registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/kitchen.proto", "rosetta/test/v1/library.proto"]);
  protoJson = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  types = [];
  const visit = (namespace: protobuf.NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type && nested.fullName.startsWith(".rosetta.test.")) types.push(nested);
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) visit(nested);
    }
  };
  visit(registry.root);
});

const xml = createXmlCodec({ ...schemaDefaults(xmlCodecFactory.optionsSchema), workers: 0 });
const codecs: ContractCodec[] = [
  { ...createJsonCodec(schemaDefaults(jsonCodecFactory.optionsSchema)), identical: true },
  { name: "protobuf", identical: true, encode: (value, shape) => shape.protoJson.encode(shape.type, value), decode: (bytes, shape) => shape.protoJson.decode(shape.type, bytes) },
  { name: "xml", identical: false, encode: (value, shape) => xml.encode(value, shape), decode: (bytes, shape) => xml.decode(bytes, shape) },
];

for (const codec of codecs) {
  test(`${codec.name}: value → bytes → value keeps every message of the test protos (random messages)`, () => {
    assert.ok(types.length >= 15, `found ${types.length} message types`);
    const random = seededRandom(2024);
    let checked = 0;
    for (const type of types) {
      const shape = messageShape(type, protoJson);
      for (let round = 0; round < 30; round++) {
        const value = protoJson.decode(type, protoJson.encode(type, randomMessageJson(type, random, registry)));
        const bytes = codec.encode(value, shape);
        const back = codec.decode(bytes, shape);
        const compared = codec.identical ? back : protoJson.decode(type, protoJson.encode(type, back));
        assert.equal(compared, value, `${codec.name} ${type.fullName} round ${round}: ${Buffer.from(bytes).toString()}`);
        checked++;
      }
    }
    assert.ok(checked > 400);
  });
}

test.run();
