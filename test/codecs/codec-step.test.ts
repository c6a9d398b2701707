import { test } from "uvu";
import * as assert from "uvu/assert";
import { Readable } from "node:stream";
import { bytesBody, emptyBody, valueBody, type Body } from "../../src/core/body.js";
import { createRequestEnvelope } from "../../src/core/request.js";
import type { HeaderMap, RequestEnvelope } from "../../src/core/envelope.js";
import { GatewayError } from "../../src/core/gateway-error.js";
import { StatusCode } from "../../src/core/status-code.js";
import { schemaDefaults } from "../../src/options/schema.js";
import type { Codec } from "../../src/codecs/codec.js";
import { CodecRegistry } from "../../src/codecs/codec-registry.js";
import { jsonCodecFactory } from "../../src/codecs/json/json-codec.js";
import { xmlCodecFactory } from "../../src/codecs/xml/xml-codec.js";
import { protobufCodecFactory } from "../../src/codecs/protobuf/protobuf-codec.js";
import {
  beginCodecStep,
  chooseCodecs,
  codecChoice,
  codecOf,
  decodeReplyBody,
  decodeRequestBody,
  decodeStreamMessage,
  encodeReply,
  encodeStreamMessage,
  encodeValue,
  type CodecInputs,
} from "../../src/codecs/codec-step.js";

/** The codec step over the real codecs: who reads the request, who writes the reply, for every way a caller says it. */
const codecs = new CodecRegistry([
  jsonCodecFactory.create({ ...schemaDefaults(jsonCodecFactory.optionsSchema), workers: 0 }),
  xmlCodecFactory.create({ ...schemaDefaults(xmlCodecFactory.optionsSchema), workers: 0 }),
  protobufCodecFactory.create(schemaDefaults(protobufCodecFactory.optionsSchema)),
]);
const json = codecs.json;
const xml = codecs.get("xml");
const protobuf = codecs.get("protobuf");
const name = (codec: Codec | undefined) => codec?.name ?? "-";

test.after(() => codecs.close());

// [what, inputs, asked, sent, request, reply]
const table: Array<[string, CodecInputs, string, string, string, string]> = [
  ["nothing said: JSON reads and writes", {}, "-", "-", "json", "json"],
  ["Accept */*", { accept: "*/*" }, "-", "-", "json", "json"],
  ["empty Accept", { accept: "" }, "-", "-", "json", "json"],
  ["Accept XML", { accept: "application/xml" }, "xml", "-", "json", "xml"],
  ["Accept in the caller's order, not by q", { accept: "text/html, application/x-protobuf;q=0.1, application/json" }, "protobuf", "-", "json", "protobuf"],
  ["Accept q=0 is skipped", { accept: "application/xml;q=0, application/json" }, "json", "-", "json", "json"],
  ["Accept q=0.0 is skipped too", { accept: "application/xml; q=0.0" }, "-", "-", "json", "json"],
  ["Accept with upper case and spaces", { accept: "  Application/XML ; charset=utf-8" }, "xml", "-", "json", "xml"],
  ["Accept names nothing registered", { accept: "text/html" }, "-", "-", "json", "json"],
  ["sent XML answers XML", { contentType: "application/xml" }, "-", "xml", "xml", "xml"],
  ["sent with parameters and upper case", { contentType: "Text/XML; charset=utf-8" }, "-", "xml", "xml", "xml"],
  ["Accept wins over what was sent", { accept: "application/json", contentType: "application/xml" }, "json", "xml", "xml", "json"],
  ["an unknown type sent passes through; the reply is JSON", { contentType: "text/plain" }, "-", "-", "-", "json"],
  ["an empty Content-Type reads as no codec", { contentType: "" }, "-", "-", "-", "json"],
  ["a repeated Content-Type is no media type: JSON reads", { contentType: ["application/xml", "text/xml"] }, "-", "-", "json", "json"],
  ["the reply default when nothing else names one (a frame format's type)", { replyDefault: "application/x-protobuf" }, "-", "-", "json", "protobuf"],
  ["what was sent wins over the reply default", { contentType: "application/xml", replyDefault: "application/x-protobuf" }, "-", "xml", "xml", "xml"],
  ["an unregistered reply default falls back to JSON", { contentType: "text/plain", replyDefault: "text/plain" }, "-", "-", "-", "json"],
  ["Accept wins over the reply default", { accept: "application/json", replyDefault: "application/xml" }, "json", "-", "json", "json"],
];

for (const [what, inputs, asked, sent, request, reply] of table) {
  test(`chooseCodecs: ${what}`, () => {
    const choice = chooseCodecs(codecs, inputs);
    assert.equal([name(choice.asked), name(choice.sent), name(choice.request), name(choice.reply)], [asked, sent, request, reply]);
  });
}

function envelope(headers: HeaderMap, body: Body = emptyBody): RequestEnvelope {
  return createRequestEnvelope({
    method: "POST",
    path: "/x",
    rawQuery: "",
    headers,
    body,
    peer: { address: "127.0.0.1", port: 1, listener: "test", protocol: "http", scheme: "http" },
    requestId: "r",
  });
}

test("codecChoice: the listener's inputs decide, once; later header rewrites do not change it", () => {
  const request = envelope({ accept: "application/xml", "content-type": "application/x-protobuf" });
  beginCodecStep(request, { accept: "application/xml", contentType: "application/x-protobuf" });
  const first = codecChoice(codecs, request);
  request.headers.accept = "application/json";
  request.headers["content-type"] = "application/json";
  assert.is(codecChoice(codecs, request), first, "the same choice object: made once");
  assert.is(first.reply, xml);
  assert.is(first.request, protobuf);
});

test("codecChoice: a request no listener began is judged by its own headers", () => {
  const request = envelope({ accept: "application/x-protobuf", "content-type": "text/xml" });
  const choice = codecChoice(codecs, request);
  assert.is(choice.reply, protobuf);
  assert.is(choice.request, xml);
});

test("codecOf: the codec of a Content-Type an upstream sent", () => {
  assert.is(codecOf(codecs, "application/json; charset=utf-8"), json);
  assert.is(codecOf(codecs, "text/plain"), undefined);
  assert.is(codecOf(codecs, undefined), undefined);
});

test("decodeRequestBody: reads the body once, through the request's codec; the body is its bytes afterwards", async () => {
  const stream = Readable.from([Buffer.from("<a><b>1</b>"), Buffer.from("</a>")]);
  const request = envelope({ "content-type": "application/xml" }, { kind: "readable", stream, length: undefined });
  const decoded = await decodeRequestBody(codecs, request, undefined, { maxBytes: 1024 });
  assert.equal(decoded, { value: { b: "1" } });
  assert.is(request.body.kind, "bytes");
  assert.is(Buffer.from((request.body as { bytes: Uint8Array }).bytes).toString(), "<a><b>1</b></a>");
});

test("decodeRequestBody: a value body is taken as it is; an empty body is undefined", async () => {
  assert.equal(await decodeRequestBody(codecs, envelope({}, valueBody({ a: 1 })), undefined, { maxBytes: 10 }), { value: { a: 1 } });
  assert.equal(await decodeRequestBody(codecs, envelope({ "content-type": "application/json" }), undefined, { maxBytes: 10 }), { value: undefined });
});

test("decodeRequestBody: an unknown type uses the fallback, else is refused with 415", async () => {
  const body = () => bytesBody(Buffer.from('{"a":2}'));
  assert.equal(await decodeRequestBody(codecs, envelope({ "content-type": "text/plain" }, body()), undefined, { maxBytes: 100, fallback: json }), { value: { a: 2 } });
  try {
    await decodeRequestBody(codecs, envelope({ "content-type": "text/plain" }, body()), undefined, { maxBytes: 100 });
    assert.unreachable("refused");
  } catch (error) {
    assert.instance(error, GatewayError);
    assert.is((error as GatewayError).httpStatus, 415);
    assert.match((error as GatewayError).message, "text/plain");
  }
});

test("decodeRequestBody: the smaller of the caller's limit and the codec's own refuses a longer declared body before reading it", async () => {
  let read = false;
  const stream = new Readable({
    read() {
      read = true;
      this.push(null);
    },
  });
  const request = envelope({}, { kind: "readable", stream, length: 10_000_000 });
  try {
    await decodeRequestBody(codecs, request, undefined, { maxBytes: 100_000_000 });
    assert.unreachable("refused");
  } catch (error) {
    assert.is((error as GatewayError).httpStatus, 413);
    assert.match((error as GatewayError).message, `${json.maxBytes}`);
  }
  assert.is(read, false);
});

test("stream messages are JSON both ways", () => {
  const bytes = encodeStreamMessage(codecs, { n: "1" });
  assert.is(Buffer.from(bytes).toString(), '{"n":"1"}');
  assert.equal(decodeStreamMessage(codecs, bytes), { n: "1" });
  assert.throws(
    () => decodeStreamMessage(codecs, Buffer.from("{")),
    (error: unknown) => error instanceof GatewayError && error.code === StatusCode.INVALID_ARGUMENT,
  );
});

test("decodeReplyBody: an unreadable upstream reply is a 502 naming the format", async () => {
  assert.equal(await decodeReplyBody(xml, Buffer.from("<r><x>1</x></r>"), undefined), { x: "1" });
  try {
    await decodeReplyBody(xml, Buffer.from("<r>"), undefined);
    assert.unreachable("refused");
  } catch (error) {
    assert.is((error as GatewayError).httpStatus, 502);
    assert.is((error as GatewayError).code, StatusCode.INTERNAL);
    assert.match((error as GatewayError).message, "the upstream's xml reply could not be read: ");
  }
});

test("encodeValue and encodeReply: bytes with their media type; a value the codec cannot write is returned as INTERNAL", () => {
  const choice = chooseCodecs(codecs, { accept: "application/xml" });
  const encoded = encodeReply(choice, valueBody({ a: "1" }));
  assert.not.instance(encoded, GatewayError);
  assert.is((encoded as { mediaType: string }).mediaType, "application/xml");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const failed = encodeValue(json, cyclic);
  assert.instance(failed, GatewayError);
  assert.is((failed as GatewayError).code, StatusCode.INTERNAL);
  assert.match((failed as GatewayError).message, "the response cannot be written as json: ");
});

test.run();
