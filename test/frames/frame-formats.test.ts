import { test } from "uvu";
import * as assert from "uvu/assert";
import { schemaDefaults } from "../../src/options/schema.js";
import { CodecRegistry } from "../../src/codecs/codec-registry.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { FrameError, type Frame, type FrameBody } from "../../src/frames/frame.js";
import type { FrameFormat } from "../../src/frames/frame-format.js";
import { lineFrameFormat } from "../../src/endpoints/tcp/line-frame-format.js";

/**
 * The contract every registered frame format keeps (frame ⇄ bytes): frames
 * round-trip field for field; a body in the format's own media type, a text
 * body and a binary body come back as the same bytes (inline, as text or as
 * base64, as the format writes them); unreadable input is a FrameError that
 * names the call when its id could be read. Plus the TCP endpoint's line format.
 */
const plugins = builtinPlugins();
const codecs = new CodecRegistry(
  plugins.codecs.keys().map((name) => {
    const factory = plugins.codecs.get(name);
    return factory.create(schemaDefaults(factory.optionsSchema));
  }),
);
const formats: FrameFormat[] = plugins.frameFormats.keys().map((name) => plugins.frameFormats.get(name).create(codecs, { maxFrameBytes: 64 * 1024 }));

test.after(() => codecs.close());

/** A sample body in each format's own media type (what a frame that names none carries). */
const ownBodies: Readonly<Record<string, Uint8Array>> = {
  "application/json": Buffer.from('{"a":[1,2],"b":{"c":"d"}}'),
  "application/xml": Buffer.from("<a><b>1</b><c>x &amp; y</c></a>"),
  "application/x-protobuf": Buffer.from([0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69]),
};

/** A body's bytes, whether it came back inline (a value) or as bytes. */
const bytesOf = (body: FrameBody | undefined): string | undefined =>
  body === undefined ? undefined : body.kind === "bytes" ? Buffer.from(body.bytes).toString("hex") : Buffer.from(JSON.stringify(body.value)).toString("hex");

async function roundTrip(format: FrameFormat, frame: Frame): Promise<Frame> {
  return format.decode(format.encode(frame));
}

async function frameError(format: FrameFormat, bytes: Uint8Array): Promise<FrameError> {
  try {
    await format.decode(bytes);
  } catch (error) {
    assert.instance(error, FrameError);
    return error as FrameError;
  }
  throw new Error("the bytes decoded as a frame");
}

test("every registered frame format is covered", () => {
  assert.equal(formats.map((format) => format.name).sort(), ["json", "protobuf", "xml"]);
  for (const format of formats) assert.ok(ownBodies[format.bodyMediaType] !== undefined, `a sample body for ${format.bodyMediaType}`);
});

for (const format of formats) {
  const label = `${format.name} frames`;

  test(`${label}: a request frame round-trips field for field`, async () => {
    const frame: Frame = { id: "call-1", method: "POST", path: "/v1/things?x=1&y=%20", headers: { accept: "application/json", "x-trace": 'a b "c" <d>' } };
    const back = await roundTrip(format, frame);
    assert.equal([back.id, back.method, back.path, back.headers, back.body, back.status], [frame.id, frame.method, frame.path, frame.headers, undefined, undefined]);
  });

  test(`${label}: reply and control frames keep status and flags`, async () => {
    const reply = await roundTrip(format, { id: "7", status: 404, headers: {} });
    assert.equal([reply.id, reply.status, reply.method, reply.path], ["7", 404, undefined, undefined]);
    const control = await roundTrip(format, { id: "8", headers: {}, stream: true, end: true, cancel: true });
    assert.equal([control.stream, control.end, control.cancel, control.status], [true, true, true, undefined]);
  });

  test(`${label}: a body in the format's own media type comes back as the same bytes`, async () => {
    const own = ownBodies[format.bodyMediaType]!;
    const back = await roundTrip(format, { id: "1", method: "PUT", path: "/x", headers: {}, body: { kind: "bytes", bytes: own } });
    // JSON frames carry it inline: compare as JSON.
    const expected = format.name === "json" ? Buffer.from(JSON.stringify(JSON.parse(own.toString()))).toString("hex") : Buffer.from(own).toString("hex");
    assert.is(bytesOf(back.body), expected);
  });

  test(`${label}: a text body and a binary body come back as the same bytes`, async () => {
    const text = Buffer.from(' line one\nline <two> & "three" é\n');
    const textBack = await roundTrip(format, { id: "2", status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: { kind: "bytes", bytes: text } });
    assert.is(bytesOf(textBack.body), text.toString("hex"));
    assert.is(textBack.headers["content-type"], "text/plain; charset=utf-8");
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x3c]);
    const binaryBack = await roundTrip(format, { id: "3", status: 200, headers: { "content-type": "application/octet-stream" }, body: { kind: "bytes", bytes: binary } });
    assert.is(bytesOf(binaryBack.body), binary.toString("hex"));
  });

  test(`${label}: a value body (decoded elsewhere) is written as its JSON`, async () => {
    const back = await roundTrip(format, { id: "4", status: 200, headers: {}, body: { kind: "value", value: { n: 1, s: "x" } } });
    const text = back.body?.kind === "value" ? JSON.stringify(back.body.value) : Buffer.from(back.body?.bytes ?? []).toString();
    assert.equal(JSON.parse(text), { n: 1, s: "x" });
  });

  test(`${label}: unreadable bytes are a FrameError without an id`, async () => {
    const error = await frameError(format, Buffer.from([0xff, 0xff, 0xff, 0x7b, 0x3c]));
    assert.is(error.id, undefined);
    assert.ok(error.message.length > 0);
  });

  test(`${label}: a readable frame with a bad field is a FrameError that names the call`, async () => {
    const error = await frameError(format, format.encode({ id: "bad-9", method: "get", path: "/x", headers: {} }));
    assert.is(error.id, "bad-9");
    assert.match(error.message, '"method" must be an HTTP method in upper case');
    const path = await frameError(format, format.encode({ id: "bad-10", method: "GET", path: "x", headers: {} }));
    assert.is(path.id, "bad-10");
    assert.match(path.message, '"path" must start with "/"');
  });

  test(`${label}: an id that is not printable is a FrameError without an id`, async () => {
    const error = await frameError(format, format.encode({ id: "has space", method: "GET", path: "/x", headers: {} }));
    assert.is(error.id, undefined);
    assert.match(error.message, '"id" must be');
  });
}

test("protobuf frames: a frame over maxFrameBytes is refused before it is parsed", async () => {
  const small = plugins.frameFormats.get("protobuf").create(codecs, { maxFrameBytes: 64 });
  const bytes = small.encode({ id: "1", method: "POST", path: "/x", headers: {}, body: { kind: "bytes", bytes: new Uint8Array(100) } });
  const error = await frameError(small, bytes);
  assert.is(error.id, undefined);
  assert.match(error.message, `the frame of ${bytes.byteLength} bytes exceeds the limit of 64`);
  const fits = small.encode({ id: "1", method: "GET", path: "/x", headers: {} });
  assert.is((await small.decode(fits)).path, "/x");
});

test("line format: a line read is a 200 text/plain reply with the line as its body", () => {
  const frame = lineFrameFormat.decode(Buffer.from("hello there")) as Frame;
  assert.equal([frame.status, frame.headers["content-type"], bytesOf(frame.body)], [200, "text/plain; charset=utf-8", Buffer.from("hello there").toString("hex")]);
});

test("line format: the line written is the body as text, or the method and path without one", () => {
  const text = (frame: Frame) => Buffer.from(lineFrameFormat.encode(frame)).toString();
  assert.is(text({ id: "", method: "GET", path: "/v1/x?y=1", headers: {} }), "GET /v1/x?y=1");
  assert.is(text({ id: "", method: "POST", path: "/", headers: {}, body: { kind: "bytes", bytes: Buffer.from("ping") } }), "ping");
  assert.is(text({ id: "", method: "POST", path: "/", headers: {}, body: { kind: "value", value: "as is" } }), "as is");
  assert.is(text({ id: "", method: "POST", path: "/", headers: {}, body: { kind: "value", value: { a: 1 } } }), '{"a":1}');
});

test("line format: a body with a line break is a FrameError naming the call", () => {
  try {
    lineFrameFormat.encode({ id: "5", method: "POST", path: "/", headers: {}, body: { kind: "bytes", bytes: Buffer.from("a\nb") } });
    assert.unreachable("refused");
  } catch (error) {
    assert.instance(error, FrameError);
    assert.is((error as FrameError).id, "5");
  }
});

test.run();
