import { test } from "uvu";
import * as assert from "uvu/assert";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";

/** Format translation on HTTP routes, against real node:http upstreams speaking JSON, XML and SOAP. */
let jsonUpstream: TestUpstream;
let xmlUpstream: TestUpstream;
let soapUpstream: TestUpstream;
let gateway: TestGateway;

const soapResponse = (body: string) => `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

test.before(async () => {
  jsonUpstream = await startUpstream((req, res, body) => {
    const text = JSON.stringify({ received: body.length === 0 ? null : JSON.parse(body.toString()), id: 7, tags: ["one"] });
    res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "application/json" }).end(text);
  });
  xmlUpstream = await startUpstream((req, res) => {
    if (req.url === "/orders/404") {
      res.writeHead(404, { "content-type": "application/xml" }).end("<error><reason>no such order</reason></error>");
      return;
    }
    if (req.url === "/broken") {
      res.writeHead(200, { "content-type": "application/xml" }).end("<order><id>1</order>");
      return;
    }
    res.writeHead(200, { "content-type": "text/xml" }).end('<order id="9"><item><sku>A-1</sku><qty>2</qty></item><total>18.50</total></order>');
  });
  soapUpstream = await startUpstream((_req, res, body) => {
    const text = body.toString();
    if (text.includes("<b>0</b>")) {
      res
        .writeHead(500, { "content-type": "text/xml" })
        .end(soapResponse("<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>division by zero</faultstring><detail><calc><operand>b</operand></calc></detail></soapenv:Fault>"));
      return;
    }
    const a = Number(/<a>(\d+)<\/a>/.exec(text)?.[1]);
    const b = Number(/<b>(\d+)<\/b>/.exec(text)?.[1]);
    res.writeHead(200, { "content-type": "text/xml; charset=utf-8" }).end(soapResponse(`<m:DivideResponse xmlns:m="urn:calc"><m:result>${a / b}</m:result></m:DivideResponse>`));
  });
  gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: {
      json: { protocol: "http", targets: [jsonUpstream.origin] },
      legacy: { protocol: "http", targets: [xmlUpstream.origin], codec: "xml" },
      typed: { protocol: "http", targets: [xmlUpstream.origin], codec: "xml", protos: ["rosetta/test/v1/library.proto"] },
      calc: { protocol: "http", targets: [soapUpstream.origin], codec: "soap", soap: { version: "1.1", namespace: "urn:calc" } },
    },
    routes: [
      { id: "json", match: { path: "/json/**" }, upstream: { service: "json", path: "/echo" } },
      { id: "json-missing", match: { path: "/missing" }, upstream: { service: "json" } },
      { id: "legacy", match: { path: "/orders/{id}" }, upstream: { service: "legacy", path: "/orders/{id}", xml: { root: "order", lists: ["item", "notes"] } } },
      { id: "broken", match: { path: "/broken" }, upstream: { service: "legacy" } },
      { id: "typed", match: { path: "/typed/{id}" }, upstream: { service: "typed", path: "/orders/{id}", requestType: "rosetta.test.v1.Shelf", responseType: "rosetta.test.v1.Shelf" } },
      { id: "divide", match: { path: "/calc/divide", methods: ["POST"] }, upstream: { service: "calc", path: "/ws", soap: { operation: "Divide" } } },
    ],
  });
});

test.after(async () => {
  await gateway.stop();
  await Promise.all([jsonUpstream.close(), xmlUpstream.close(), soapUpstream.close()]);
});

const last = (upstream: TestUpstream) => upstream.received[upstream.received.length - 1]!;

test("an XML caller reaches a JSON service: the body goes up as JSON and the answer comes back as XML", async () => {
  const response = await fetch(`${gateway.url}/json/x`, { method: "POST", headers: { "content-type": "application/xml" }, body: '<order id="3"><item>a</item><item>b</item></order>' });
  assert.is(last(jsonUpstream).headers["content-type"], "application/json");
  assert.equal(JSON.parse(last(jsonUpstream).body.toString()), { "@id": "3", item: ["a", "b"] });
  assert.is(response.headers.get("content-type"), "application/xml");
  assert.is(await response.text(), '<?xml version="1.0" encoding="UTF-8"?><root><received id="3"><item>a</item><item>b</item></received><id>7</id><tags>one</tags></root>');
});

test("a JSON caller of an undeclared service is proxied untouched", async () => {
  const response = await fetch(`${gateway.url}/json/x`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a": 1}' });
  assert.is(last(jsonUpstream).body.toString(), '{"a": 1}');
  assert.is(await response.text(), '{"received":{"a":1},"id":7,"tags":["one"]}');
});

test("upstream errors are translated too, keeping their status", async () => {
  const response = await fetch(`${gateway.url}/missing`, { headers: { accept: "application/xml" } });
  assert.is(response.status, 404);
  assert.match(await response.text(), "<root><received/><id>7</id>");
});

test("a JSON caller of an XML service (codec: xml): XML goes up under the route's root, XML replies come back as JSON", async () => {
  const response = await fetch(`${gateway.url}/orders/9`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ "@id": 9, item: [{ sku: "A-1" }], note: "fragile" }),
  });
  assert.is(last(xmlUpstream).headers["content-type"], "application/xml");
  assert.is(last(xmlUpstream).headers.accept, "application/xml");
  assert.is(last(xmlUpstream).body.toString(), '<?xml version="1.0" encoding="UTF-8"?><order id="9"><item><sku>A-1</sku></item><note>fragile</note></order>');
  assert.is(response.status, 200);
  assert.is(response.headers.get("content-type"), "application/json");
  // item is a declared list: a list with one entry; notes is declared and absent: [].
  assert.equal(await response.json(), { "@id": "9", item: [{ sku: "A-1", qty: "2" }], total: "18.50", notes: [] });
});

test("XML errors from an XML service reach JSON callers as JSON with the upstream's status", async () => {
  const response = await fetch(`${gateway.url}/orders/404`);
  assert.is(response.status, 404);
  // Error documents are not shaped by the route (no declared lists added).
  assert.equal(await response.json(), { reason: "no such order" });
});

test("an XML service's unreadable reply is a 502 naming the problem", async () => {
  const response = await fetch(`${gateway.url}/broken`);
  assert.is(response.status, 502);
  assert.match(((await response.json()) as { message: string }).message, "the upstream's xml reply could not be read: invalid XML at line 1");
});

test("routes typed by a proto message: JSON numbers and names are checked and written by the schema", async () => {
  const response = await fetch(`${gateway.url}/typed/1`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"id": 5, "theme": "Maps"}' });
  assert.is(last(xmlUpstream).body.toString(), '<?xml version="1.0" encoding="UTF-8"?><Shelf><id>5</id><theme>Maps</theme></Shelf>');
  assert.is(response.status, 200);
  // The upstream's <order id="9">… has no Shelf fields: the typed reply is the empty Shelf, in proto3 JSON.
  assert.equal(await response.json(), { id: "0", theme: "" });
  const bad = await fetch(`${gateway.url}/typed/1`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"id": "five"}' });
  assert.is(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, "id");
});

test("SOAP upstream: a REST/JSON route calls an operation; the envelope, SOAPAction and result are handled", async () => {
  const response = await fetch(`${gateway.url}/calc/divide`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a": 9, "b": 3}' });
  const sent = last(soapUpstream);
  assert.is(sent.method, "POST");
  assert.is(sent.url, "/ws");
  assert.is(sent.headers.soapaction, '"urn:calc/Divide"');
  assert.is(sent.headers["content-type"], "text/xml; charset=utf-8");
  assert.is(
    sent.body.toString(),
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Divide xmlns="urn:calc"><a>9</a><b>3</b></Divide></soap:Body></soap:Envelope>',
  );
  assert.is(response.status, 200);
  assert.equal(await response.json(), { result: "3" });
  const asXml = await fetch(`${gateway.url}/calc/divide`, { method: "POST", headers: { "content-type": "application/xml" }, body: "<r><a>8</a><b>2</b></r>" });
  assert.is(await asXml.text(), '<?xml version="1.0" encoding="UTF-8"?><root><result>4</result></root>');
});

test("SOAP upstream: a Fault becomes an error with the fault code and detail", async () => {
  const response = await fetch(`${gateway.url}/calc/divide`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a": 1, "b": 0}' });
  assert.is(response.status, 400);
  const status = (await response.json()) as { code: number; message: string; details: Record<string, unknown>[] };
  assert.is(status.code, 3);
  assert.is(status.message, "division by zero");
  assert.equal(status.details[0], { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SOAP_FAULT", domain: "soap", metadata: { faultcode: "soapenv:Client" } });
  assert.equal(status.details[1], { "@type": "type.googleapis.com/google.protobuf.Struct", value: { calc: { operand: "b" } } });
});

test.run();
