import { test } from "uvu";
import * as assert from "uvu/assert";
import soap from "soap";
import xml2js from "xml2js";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";

/** XML callers and SOAP clients against a real grpc-js server, through a real gateway. */
let upstream: TestGrpcServer;
let gateway: TestGateway;
const soapUrl = () => `${gateway.url}/soap/rosetta.test.v1.Library`;
const soap11Namespace = "http://schemas.xmlsoap.org/soap/envelope/";
const soap12Namespace = "http://www.w3.org/2003/05/soap-envelope";

test.before(async () => {
  upstream = await startLibraryServer();
  gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: [upstream.target], protos: ["rosetta/test/v1/library.proto"], soap: { path: "/soap" } } },
  });
});

test.after(async () => {
  await gateway.stop();
  await upstream.close();
});

const lastCall = () => upstream.calls[upstream.calls.length - 1]!;
const parse = (text: string) => xml2js.parseStringPromise(text, { explicitArray: false, tagNameProcessors: [xml2js.processors.stripPrefix] }) as Promise<Record<string, any>>;

test("an XML request body is typed by the method and reaches the upstream as protobuf", async () => {
  const response = await fetch(`${gateway.url}/v1/shelves/7/books`, {
    method: "POST",
    headers: { "content-type": "application/xml" },
    body: "<book><name>ignored</name><tags>only-one</tags><labels><key>lang</key><value>en</value></labels><pageCount>9007199254740993</pageCount><genre>GENRE_POETRY</genre><cover>cG5n</cover><published>2024-01-02T03:04:05Z</published></book>",
  });
  assert.is(response.status, 200);
  assert.is(response.headers.get("content-type"), "application/xml");
  const request = lastCall().request as Record<string, any>;
  assert.is(request.parent, "shelves/7");
  assert.equal(request.book.tags, ["only-one"]);
  assert.equal(request.book.labels, { lang: "en" });
  assert.is(String(request.book.page_count), "9007199254740993");
  assert.is(request.book.genre, "GENRE_POETRY");
  assert.is(Buffer.from(request.book.cover, "base64").toString(), "png");
  assert.is(String(request.book.published.seconds), "1704164645");
  const body = await parse(await response.text());
  assert.is(body.Book.name, "shelves/7/books/new");
  assert.is(body.Book.pageCount, "9007199254740993");
});

test("the same route answers XML to an XML caller and JSON to a JSON caller", async () => {
  const asXml = await fetch(`${gateway.url}/v1/shelves/1/books/2`, { headers: { accept: "application/xml" } });
  const text = await asXml.text();
  assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?><Book><name>shelves\/1\/books\/2<\/name>/);
  assert.match(text, "<tags>classic</tags><labels><key>lang</key><value>en</value></labels><cover>cG5n</cover><pageCount>304</pageCount><cents>1299</cents>");
  assert.match(text, "<published>2023-11-14T22:13:20.005Z</published>");
  const asJson = await fetch(`${gateway.url}/v1/shelves/1/books/2`);
  assert.is(asJson.headers.get("content-type"), "application/json");
  assert.equal(((await asJson.json()) as { tags: string[] }).tags, ["classic"]);
});

test("errors reach XML callers as <Status> with the mapped HTTP status and details", async () => {
  const response = await fetch(`${gateway.url}/v1/fail/3`, { headers: { accept: "text/xml" } });
  assert.is(response.status, 400);
  const text = await response.text();
  assert.match(text, '<Status><code>3</code><message>failed with 3</message><details type="type.googleapis.com/google.rpc.BadRequest">');
  assert.match(text, "<field>name</field>");
  const malformed = await fetch(`${gateway.url}/v1/shelves/7/books`, { method: "POST", headers: { "content-type": "application/xml" }, body: "<book><pageCount>many</pageCount></book>" });
  assert.is(malformed.status, 400);
  assert.match(await malformed.text(), "<message>pageCount: &quot;many&quot; is not an integer</message>".replace(/&quot;/g, '"'));
});

const envelope11 = (body: string, header = "") => `<s:Envelope xmlns:s="${soap11Namespace}">${header}<s:Body>${body}</s:Body></s:Envelope>`;
const envelope12 = (body: string) => `<e:Envelope xmlns:e="${soap12Namespace}"><e:Body>${body}</e:Body></e:Envelope>`;
const post = (body: string, headers: Record<string, string>) => fetch(soapUrl(), { method: "POST", headers, body });

test("SOAP 1.1: SOAPAction and the body element name the operation; the answer is a 1.1 envelope", async () => {
  const response = await post(envelope11('<l:GetShelf xmlns:l="urn:rosetta.test.v1.Library"><l:shelf>42</l:shelf></l:GetShelf>'), {
    "content-type": "text/xml; charset=utf-8",
    soapaction: '"urn:rosetta.test.v1.Library/GetShelf"',
  });
  assert.is(response.status, 200);
  assert.is(response.headers.get("content-type"), "text/xml; charset=utf-8");
  const body = await parse(await response.text());
  assert.is(body.Envelope.$["xmlns:soap"], soap11Namespace);
  assert.equal(body.Envelope.Body.GetShelfResponse, { $: { xmlns: "urn:rosetta.test.v1.Library" }, id: "42", theme: "Poetry" });
  assert.is(String(lastCall().request.shelf), "42");
});

test("SOAP 1.2: detected from application/soap+xml and answered in 1.2; the action parameter is honoured", async () => {
  const response = await post(envelope12("<GetShelf><shelf>5</shelf></GetShelf>"), { "content-type": 'application/soap+xml; charset=utf-8; action="urn:rosetta.test.v1.Library/GetShelf"' });
  assert.is(response.status, 200);
  const body = await parse(await response.text());
  assert.is(body.Envelope.$["xmlns:soap"], soap12Namespace);
  assert.is(body.Envelope.Body.GetShelfResponse.id, "5");
});

test("gRPC errors become Faults: 1.1 Client/Server with HTTP 500, 1.2 Sender → 400 and Receiver → 500, Status in the detail", async () => {
  const client11 = await post(envelope11("<Fail><code>5</code><message>no such shelf</message></Fail>"), { "content-type": "text/xml" });
  assert.is(client11.status, 500);
  const fault11 = (await parse(await client11.text())).Envelope.Body.Fault;
  assert.is(fault11.faultcode, "soap:Client");
  assert.is(fault11.faultstring, "no such shelf");
  assert.equal(fault11.detail.Status, { code: "5", message: "no such shelf" });
  const server11 = await post(envelope11("<Fail><code>13</code></Fail>"), { "content-type": "text/xml" });
  assert.is((await parse(await server11.text())).Envelope.Body.Fault.faultcode, "soap:Server");

  const sender12 = await post(envelope12("<Fail><code>3</code></Fail>"), { "content-type": "application/soap+xml" });
  assert.is(sender12.status, 400);
  const fault12 = (await parse(await sender12.text())).Envelope.Body.Fault;
  assert.is(fault12.Code.Value, "soap:Sender");
  assert.is(fault12.Reason.Text._, "failed with 3");
  assert.is(fault12.Detail.Status.details.$.type, "type.googleapis.com/google.rpc.BadRequest");
  const receiver12 = await post(envelope12("<Fail><code>14</code></Fail>"), { "content-type": "application/soap+xml" });
  assert.is(receiver12.status, 500);
  assert.is((await parse(await receiver12.text())).Envelope.Body.Fault.Code.Value, "soap:Receiver");
});

test("SOAP protocol faults: version mismatch, mustUnderstand, unknown operation, mismatched action, not SOAP at all", async () => {
  const mismatch = await post(envelope12("<GetShelf/>"), { "content-type": "text/xml" });
  assert.is((await parse(await mismatch.text())).Envelope.Body.Fault.faultcode, "soap:VersionMismatch");
  const header = `<s:Header><t:Tx xmlns:t="urn:tx" s:mustUnderstand="1">5</t:Tx></s:Header>`;
  const understand = await post(envelope11("<GetShelf/>", header), { "content-type": "text/xml" });
  assert.is((await parse(await understand.text())).Envelope.Body.Fault.faultcode, "soap:MustUnderstand");
  const unknown = await post(envelope11("<Burn/>"), { "content-type": "text/xml" });
  assert.match(await unknown.text(), 'Library has no operation "Burn" (operations: GetShelf, ListBooks');
  const wrongAction = await post(envelope11("<GetShelf/>"), { "content-type": "text/xml", soapaction: "urn:rosetta.test.v1.Library/DeleteBook" });
  assert.match(await wrongAction.text(), "does not name the operation in the Body (GetShelf)");
  const notSoap = await post("{}", { "content-type": "application/json" });
  assert.is(notSoap.status, 415);
  const broken = await post("<s:Envelope", { "content-type": "text/xml" });
  assert.is(broken.status, 500);
  assert.match(await broken.text(), "<faultcode>soap:Client</faultcode><faultstring>unterminated start tag (line 1, column 1)");
});

test("the WSDL is generated from the proto: document/literal wrapped, typed XSD, both SOAP bindings", async () => {
  const response = await fetch(`${soapUrl()}?wsdl`);
  assert.is(response.status, 200);
  const wsdl = (await parse(await response.text())).definitions;
  const schema = wsdl.types.schema;
  const complex = (name: string) => [schema.complexType].flat().find((type: any) => type.$.name === name);
  const fields = (name: string) => Object.fromEntries([complex(name).sequence.element].flat().map((element: any) => [element.$.name, element.$]));
  const book = fields("Book");
  assert.is(book.pageCount.type, "xs:long");
  assert.is(book.cover.type, "xs:base64Binary");
  assert.is(book.published.type, "xs:dateTime");
  assert.is(book.tags.maxOccurs, "unbounded");
  assert.is(book.genre.type, "tns:Genre");
  assert.is(book.labels.maxOccurs, "unbounded");
  const genre = [schema.simpleType].flat().find((type: any) => type.$.name === "Genre");
  assert.ok(genre.restriction.enumeration.some((value: any) => value.$.value === "GENRE_POETRY"));
  assert.is(fields("ListBooksRequest").minId.type, "xs:unsignedLong");
  const elements = [schema.element].flat().map((element: any) => element.$.name);
  assert.ok(elements.includes("GetBook") && elements.includes("GetBookResponse"));
  assert.not.ok(elements.includes("StreamBooks"), "streaming methods are not operations");
  assert.equal(
    [wsdl.binding].flat().map((binding: any) => binding.$.name),
    ["LibrarySoapBinding", "LibrarySoap12Binding"],
  );
  assert.is([wsdl.service.port].flat()[0].address.$.location, soapUrl());
});

test("a real SOAP toolkit (node-soap) reads the WSDL and calls operations, faults included", async () => {
  const client = await soap.createClientAsync(`${soapUrl()}?wsdl`);
  const [book] = await client.GetBookAsync({ name: "shelves/1/books/9" });
  assert.is(book.name, "shelves/1/books/9");
  assert.equal(book.tags, ["classic"]);
  const [created] = await client.CreateBookAsync({ parent: "shelves/3", book: { name: "x", tags: ["a", "b"], pageCount: "12" } });
  assert.is(created.name, "shelves/3/books/new");
  assert.equal((lastCall().request as any).book.tags, ["a", "b"]);
  try {
    await client.FailAsync({ code: 7, message: "not yours" });
    assert.unreachable("the call must fail");
  } catch (error) {
    const fault = (error as { root: any }).root.Envelope.Body.Fault;
    assert.is(fault.faultcode, "soap:Client");
    assert.is(fault.faultstring, "not yours");
  }
});

test.run();
