import { test } from "uvu";
import * as assert from "uvu/assert";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";

/**
 * XML attacks sent through a real gateway to a gRPC route: each is refused
 * fast with 400/413 in the caller's format, and the gateway keeps serving
 * everyone else meanwhile. One gateway has the defaults; the other has its
 * size limits raised to 64 MiB, so the XML-level defences must act alone.
 */
let upstream: TestGrpcServer;
let defaults: TestGateway;
let raised: TestGateway;

test.before(async () => {
  upstream = await startLibraryServer();
  const service = { protocol: "grpc", targets: [upstream.target], protos: ["rosetta/test/v1/library.proto"] };
  defaults = await startGateway({ protos: { include: ["test/protos"] }, services: { library: service } });
  raised = await startGateway({
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, maxBodyBytes: "64MiB" }],
    protos: { include: ["test/protos"] },
    codecs: { xml: { maxBytes: "64MiB" } },
    services: { library: { ...service, maxSendMessageSize: "64MiB" } },
  });
});

test.after(async () => {
  await Promise.all([defaults.stop(), raised.stop()]);
  await upstream.close();
});

const billionLaughs =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  Array.from({ length: 7 }, (_, index) => `<!ENTITY lol${index + 3} "${`&lol${index + 2};`.repeat(10)}">`).join("") +
  "]><book><name>&lol9;</name></book>";
const externalEntity = '<?xml version="1.0"?><!DOCTYPE book [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><book><name>&xxe;</name></book>';
const deep = `<book>${"<a>".repeat(10_000)}${"</a>".repeat(10_000)}</book>`;
const hugeAttribute = () => Buffer.concat([Buffer.from('<book name="'), Buffer.alloc(50 * 1024 * 1024, 0x61), Buffer.from('"/>')]);

async function attack(gateway: TestGateway, body: string | Buffer): Promise<{ status: number; text: string; millis: number; bystander: number }> {
  const started = performance.now();
  const sent = fetch(`${gateway.url}/v1/shelves/1/books`, { method: "POST", headers: { "content-type": "application/xml", accept: "application/xml" }, body }).then(async (response) => ({
    status: response.status,
    text: await response.text(),
    millis: performance.now() - started,
  }));
  // Someone else's request, sent while the attack is in flight.
  const bystander = await fetch(`${gateway.url}/v1/shelves/3`).then((response) => response.status);
  return { ...(await sent), bystander };
}

const cases: [string, () => string | Buffer, string][] = [
  ["billion laughs", () => billionLaughs, "are not accepted (no DOCTYPE, DTD or entities)"],
  ["external entity", () => externalEntity, "are not accepted (no DOCTYPE, DTD or entities)"],
  ["10 000-deep nesting", () => deep, "XML nesting exceeds the limit of 64 levels"],
];

for (const [name, body, message] of cases) {
  test(`${name} is refused with 400 in XML, fast, while others are served`, async () => {
    for (const gateway of [defaults, raised]) {
      const result = await attack(gateway, body());
      assert.is(result.status, 400, name);
      assert.match(result.text, `<Status><code>3</code><message>`);
      assert.match(result.text, message);
      assert.ok(result.millis < 2000, `${name} took ${result.millis} ms`);
      assert.is(result.bystander, 200);
    }
  });
}

test("a 50 MiB attribute: 413 before reading with default limits, 400 from the attribute limit with raised ones", async () => {
  const small = await attack(defaults, hugeAttribute());
  assert.is(small.status, 413);
  assert.is(small.bystander, 200);
  const big = await attack(raised, hugeAttribute());
  assert.is(big.status, 400);
  assert.match(big.text, "an attribute value exceeds the limit of 65536 bytes");
  assert.ok(big.millis < 5000, `took ${big.millis} ms`);
  assert.is(big.bystander, 200);
});

test("prototype names cannot reach a prototype", async () => {
  const result = await attack(defaults, "<book><__proto__><polluted>yes</polluted></__proto__></book>");
  assert.is(result.status, 400);
  assert.match(result.text, 'the XML name "__proto__" is not allowed');
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test.run();
