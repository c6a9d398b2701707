import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytesBody, valueBody, type Body } from "../../src/core/body.js";
import { documentShape } from "../../src/core/body-shape.js";
import type { HeaderMap, RequestEnvelope, ResponseEnvelope } from "../../src/core/envelope.js";
import { createRequestEnvelope } from "../../src/core/request.js";
import { schemaDefaults } from "../../src/options/schema.js";
import { createXmlCodec, xmlCodecFactory } from "../../src/codecs/xml/xml-codec.js";
import { readEnvelope } from "../../src/soap/soap-envelope.js";
import { createSoapFacade, type SoapOperation } from "../../src/soap/server/soap-facade.js";

/** The facade over plain handlers and document shapes: no gRPC, no protobuf, no sockets. */
const xml = createXmlCodec({ ...schemaDefaults(xmlCodecFactory.optionsSchema), workers: 0 });
const soap11 = "http://schemas.xmlsoap.org/soap/envelope/";
const soap12 = "http://www.w3.org/2003/05/soap-envelope";

const seen: RequestEnvelope[] = [];
const wsdlLocations: string[] = [];
const add: SoapOperation = {
  handler: async (request) => {
    seen.push(request);
    const value = request.body.kind === "value" ? (request.body.value as { a: string; b: string }) : { a: "0", b: "0" };
    return { status: 200, headers: { "x-handled": "add" }, body: valueBody({ sum: Number(value.a) + Number(value.b) }) };
  },
  requestShape: documentShape("Add"),
  responseShape: documentShape("AddResponse"),
};
const facade = createSoapFacade({
  serviceName: "Calculator",
  operations: new Map([["Add", add]]),
  targetNamespace: "urn:calc",
  wsdl: (location) => {
    wsdlLocations.push(location);
    return `<definitions location="${location}"/>`;
  },
  xml,
  maxBodyBytes: 64 * 1024,
});

function call(method: string, headers: HeaderMap, body: Body = { kind: "empty" }, rawQuery = ""): Promise<ResponseEnvelope> {
  return facade(
    createRequestEnvelope({
      method,
      path: "/soap/Calculator",
      rawQuery,
      headers: { host: "calc.example", ...headers },
      body,
      peer: { address: "127.0.0.1", port: 1, listener: "test", protocol: "http", scheme: "http" },
      requestId: "r1",
    }),
  );
}

const envelope = (namespace: string, inner: string) => bytesBody(Buffer.from(`<s:Envelope xmlns:s="${namespace}"><s:Body>${inner}</s:Body></s:Envelope>`));
const text = (response: ResponseEnvelope) => (response.body.kind === "bytes" ? Buffer.from(response.body.bytes).toString() : "");
const bodyOf = async (response: ResponseEnvelope) => {
  const read = readEnvelope(await xml.parse(Buffer.from(text(response))));
  return { read, value: read.body === undefined ? undefined : (xml.toValue({ name: read.body.name, node: read.body.node }, undefined) as Record<string, any>) };
};

test("POST a SOAP 1.1 envelope: the handler gets the operation as a value body; the answer is <OperationResponse> in the same version", async () => {
  const response = await call("POST", { "content-type": "text/xml; charset=utf-8", soapaction: '"urn:calc/Add"' }, envelope(soap11, '<Add xmlns="urn:calc"><a>2</a><b>40</b></Add>'));
  assert.is(response.status, 200);
  assert.is(response.headers["content-type"], "text/xml; charset=utf-8");
  assert.is(response.headers["x-handled"], "add");
  const handled = seen.at(-1)!;
  assert.is(handled.body.kind, "value");
  assert.equal(handled.body.kind === "value" ? handled.body.value : undefined, { a: "2", b: "40" });
  const { read, value } = await bodyOf(response);
  assert.is(read.version.name, "1.1");
  assert.is(read.body?.name, "AddResponse");
  assert.is(value?.sum, "42");
  assert.match(text(response), '<AddResponse xmlns="urn:calc">');
});

test("SOAP 1.2 with the action in the content type is answered as SOAP 1.2", async () => {
  const response = await call("POST", { "content-type": 'application/soap+xml; charset=utf-8; action="urn:calc/Add"' }, envelope(soap12, '<Add xmlns="urn:calc"><a>1</a><b>1</b></Add>'));
  assert.is(response.status, 200);
  assert.is(response.headers["content-type"], "application/soap+xml; charset=utf-8");
  const { read, value } = await bodyOf(response);
  assert.is(read.version.name, "1.2");
  assert.is(value?.sum, "2");
});

test("an unknown operation is a Client fault naming the service and its operations; a mismatched action is refused too", async () => {
  const unknown = await call("POST", { "content-type": "text/xml" }, envelope(soap11, '<Divide xmlns="urn:calc"/>'));
  assert.is(unknown.status, 500);
  assert.is(unknown.error?.code, 12);
  assert.match(text(unknown), "<faultcode>soap:Client</faultcode>");
  assert.match(text(unknown), 'Calculator has no operation "Divide" (operations: Add)');
  const wrongAction = await call("POST", { "content-type": "text/xml", soapaction: '"urn:calc/Subtract"' }, envelope(soap11, '<Add xmlns="urn:calc"/>'));
  assert.match(text(wrongAction), 'the SOAP action "urn:calc/Subtract" does not name the operation in the Body (Add)');
});

test("a SOAP 1.2 envelope sent as text/xml is a VersionMismatch fault; no SOAP media type is 415", async () => {
  const mismatch = await call("POST", { "content-type": "text/xml" }, envelope(soap12, '<Add xmlns="urn:calc"/>'));
  assert.is(mismatch.status, 500);
  assert.match(text(mismatch), "<faultcode>soap:VersionMismatch</faultcode>");
  const json = await call("POST", { "content-type": "application/json" }, bytesBody(Buffer.from("{}")));
  assert.is(json.status, 415);
  assert.match(text(json), "text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)");
});

test("GET ?wsdl answers the closure's WSDL for the caller's location, built once per location", async () => {
  const before = wsdlLocations.length;
  const first = await call("GET", {}, undefined, "wsdl");
  const again = await call("GET", {}, undefined, "WSDL");
  const forwarded = await call("GET", { "x-forwarded-proto": "https", "x-forwarded-host": "public.example" }, undefined, "wsdl");
  assert.is(first.status, 200);
  assert.is(first.headers["content-type"], "text/xml; charset=utf-8");
  assert.is(text(first), '<definitions location="http://calc.example/soap/Calculator"/>');
  assert.is(text(again), text(first));
  assert.is(text(forwarded), '<definitions location="https://public.example/soap/Calculator"/>');
  assert.equal(wsdlLocations.slice(before), ["http://calc.example/soap/Calculator", "https://public.example/soap/Calculator"]);
  const plainGet = await call("GET", {}).then(
    () => "answered",
    (error: Error) => error.message,
  );
  assert.is(plainGet, "GET ?wsdl for the service description; SOAP calls are POSTed");
});

test.run();
