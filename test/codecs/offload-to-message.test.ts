import { test } from "uvu";
import * as assert from "uvu/assert";
import { messageShape } from "../../src/protojson/message-shape.js";
import { createJsonCodec, jsonCodecFactory } from "../../src/codecs/json/json-codec.js";
import { ProtoJsonMapping } from "../../src/protojson/protojson-mapping.js";
import { defaultProtoJsonOptions } from "../../src/protojson/protojson-options.js";
import { createXmlCodec } from "../../src/codecs/xml/xml-codec.js";
import { xmlCodecOptionsSchema } from "../../src/codecs/xml/xml-options.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { schemaDefaults } from "../../src/options/schema.js";
import { messageInfo } from "../../src/protojson/message-info.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../helpers/grpc-server.js";

/**
 * Big bodies bound for a gRPC message are decoded, typed and encoded on a
 * worker. Two gateways in front of one real grpc-js server, one offloading
 * every body (offloadAbove: 1) and one keeping all on the main thread
 * (workers: 0), must answer every request alike and send the upstream the
 * same message.
 */
let upstream: TestGrpcServer;
let offloaded: TestGateway;
let mainThread: TestGateway;

const config = (workers: number) => ({
  protos: { include: ["test/protos"] },
  codecs: { json: { workers, offloadAbove: 1, maxBytes: "64KiB", maxDepth: 16 }, xml: { workers, offloadAbove: 0, maxElements: 500 } },
  services: { library: { protocol: "grpc", targets: [upstream.target], protos: ["rosetta/test/v1/library.proto"], json: { rejectUnknownFields: true } } },
});

test.before(async () => {
  upstream = await startLibraryServer();
  offloaded = await startGateway(config(1));
  mainThread = await startGateway(config(0));
});

test.after(async () => {
  await Promise.all([offloaded.stop(), mainThread.stop()]);
  await upstream.close();
});

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly type: string;
  readonly body: string | Uint8Array;
  readonly status: number;
}

const book = {
  name: "shelves/9/books/other",
  author: "Le Guin",
  genre: "GENRE_POETRY",
  published: "2024-01-02T03:04:05.5Z",
  tags: ["one"],
  labels: { lang: "en" },
  cover: "cG5n",
  pageCount: "9007199254740993",
  cents: "1299",
};
const bookXml =
  "<book><name>shelves/9/books/other</name><author>Le Guin</author><genre>GENRE_POETRY</genre><published>2024-01-02T03:04:05.5Z</published><tags>one</tags><labels><key>lang</key><value>en</value></labels><cover>cG5n</cover><pageCount>9007199254740993</pageCount><cents>1299</cents></book>";
const json = "application/json";
const xml = "application/xml";

const cases: Case[] = [
  { name: "JSON body field, the path variable wins over the body", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: JSON.stringify(book), status: 200 },
  { name: "JSON body field with a query parameter", method: "POST", path: "/v1/shelves/3/books?bookId=b1", type: json, body: JSON.stringify(book), status: 200 },
  { name: 'JSON body "*" with a path variable', method: "POST", path: "/v1/shelves/1/books/2:archive", type: json, body: JSON.stringify({ name: "ignored", reason: "old" }), status: 200 },
  { name: 'JSON body "*" that is not an object', method: "POST", path: "/v1/shelves/1/books/2:archive", type: json, body: "[1,2]", status: 400 },
  { name: "JSON syntax error", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: '{"author": "x",\n "tags": [1,}', status: 400 },
  { name: "JSON unknown field", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: '{"author": "x", "colour": "red"}', status: 400 },
  { name: "JSON value of the wrong type", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: '{"pageCount": "many"}', status: 400 },
  { name: "JSON too deep", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: `${"[".repeat(40)}${"]".repeat(40)}`, status: 400 },
  { name: "JSON prototype key", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: '{"__proto__": {"x": 1}}', status: 400 },
  { name: "JSON that is not UTF-8", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), status: 400 },
  { name: "JSON over codecs.json.maxBytes", method: "PATCH", path: "/v1/shelves/1/books/2", type: json, body: JSON.stringify({ author: "x".repeat(70 * 1024) }), status: 413 },
  { name: "JSON with a query parameter that is no field (ignored)", method: "POST", path: "/v1/shelves/3/books?colour=red", type: json, body: JSON.stringify(book), status: 200 },
  { name: "JSON with a query parameter that cannot be a field path", method: "POST", path: "/v1/shelves/3/books?a..b=1", type: json, body: JSON.stringify(book), status: 400 },
  { name: "XML body field, typed by the message", method: "PATCH", path: "/v1/shelves/1/books/2", type: xml, body: bookXml, status: 200 },
  { name: 'XML body "*"', method: "POST", path: "/v1/shelves/1/books/2:archive", type: xml, body: "<a><reason>old</reason></a>", status: 200 },
  { name: "XML unknown element", method: "PATCH", path: "/v1/shelves/1/books/2", type: xml, body: "<book><colour>red</colour></book>", status: 400 },
  { name: "XML text of the wrong type", method: "PATCH", path: "/v1/shelves/1/books/2", type: xml, body: "<book><pageCount>many</pageCount></book>", status: 400 },
  { name: "XML not well-formed", method: "PATCH", path: "/v1/shelves/1/books/2", type: xml, body: "<book><author>x</book>", status: 400 },
  { name: "XML over codecs.xml.maxElements", method: "PATCH", path: "/v1/shelves/1/books/2", type: xml, body: `<book>${"<tags>t</tags>".repeat(600)}</book>`, status: 400 },
];

async function send(gateway: TestGateway, entry: Case): Promise<{ status: number; body: string; upstream: unknown }> {
  const before = upstream.calls.length;
  const response = await fetch(`${gateway.url}${entry.path}`, { method: entry.method, headers: { "content-type": entry.type }, body: entry.body });
  const body = await response.text();
  const calls = upstream.calls.slice(before);
  return { status: response.status, body, upstream: calls.map((call) => ({ method: call.method, request: call.request })) };
}

for (const entry of cases) {
  test(`offloaded and main-thread decoding agree: ${entry.name}`, async () => {
    const expected = await send(mainThread, entry);
    const actual = await send(offloaded, entry);
    assert.is(expected.status, entry.status, expected.body);
    assert.equal(actual, expected);
  });
}

test("a big body bound for a message is offloaded by both codecs, and the bytes are those of the main thread", async () => {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/library.proto"]);
  const type = registry.findType("rosetta.test.v1.UpdateBookRequest")!;
  const protoJson = ProtoJsonMapping.forRegistry(registry, defaultProtoJsonOptions);
  const shape = messageShape(type, protoJson, messageInfo(type).byName.get("book"));
  const binding = { body: "book", pathFields: ["book.name"], rejectUnknownQuery: false, params: { "book.name": "shelves/1/books/2" }, rawQuery: "" };
  const tags = Array.from({ length: 8000 }, (_, index) => `tag-${index}`);
  const jsonCodec = createJsonCodec({ ...schemaDefaults(jsonCodecFactory.optionsSchema), workers: 1 });
  const xmlCodec = createXmlCodec({ ...schemaDefaults(xmlCodecOptionsSchema), workers: 1 });
  try {
    const jsonBytes = Buffer.from(JSON.stringify({ author: "big", tags }));
    const xmlBytes = Buffer.from(`<book><author>big</author>${tags.map((tag) => `<tags>${tag}</tags>`).join("")}</book>`);
    assert.ok(jsonBytes.byteLength >= 64 * 1024 && xmlBytes.byteLength >= 64 * 1024);
    const expected = protoJson.encode(type, { book: { author: "big", tags, name: "shelves/1/books/2" } });
    for (const [codec, bytes] of [
      [jsonCodec, jsonBytes],
      [xmlCodec, xmlBytes],
    ] as const) {
      const pending = codec.toMessage?.(bytes, shape, binding);
      assert.ok(pending instanceof Promise, `${codec.name} offloads a ${bytes.byteLength}-byte body`);
      assert.equal(Buffer.from(await pending), Buffer.from(expected));
      assert.is(codec.toMessage?.(Buffer.from('{"author":"small"}'), shape, binding), undefined, `${codec.name} keeps a small body on the main thread`);
    }
  } finally {
    await Promise.all([jsonCodec.close?.(), xmlCodec.close?.()]);
  }
});

test.run();
