import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytesBody, valueBody } from "../../src/core/body.js";
import { documentShape } from "../../src/core/body-shape.js";
import type { HeaderMap } from "../../src/core/envelope.js";
import { GatewayError } from "../../src/core/gateway-error.js";
import { createRequestEnvelope } from "../../src/core/request.js";
import { StatusCode } from "../../src/core/status-code.js";
import { schemaDefaults } from "../../src/options/schema.js";
import { createXmlCodec, xmlCodecFactory } from "../../src/codecs/xml/xml-codec.js";
import { readEnvelope } from "../../src/soap/soap-envelope.js";
import { soap11, soap12 } from "../../src/soap/soap-version.js";
import { readSoapReply, soapCallOf, writeSoapRequest } from "../../src/soap/client/soap-client.js";
import { createSoapFacade } from "../../src/soap/server/soap-facade.js";

/** The client half of SOAP in memory: envelopes written, and replies (Rosetta's own facade among them) read back. */
const xml = createXmlCodec({ ...schemaDefaults(xmlCodecFactory.optionsSchema), workers: 0 });
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as GatewayError,
  );

test("soapCallOf: version by name, action <namespace>/<operation> unless the route names one", () => {
  assert.equal(soapCallOf({ version: "1.1", namespace: "urn:calc" }, { operation: "Add" }), { version: soap11, namespace: "urn:calc", operation: "Add", action: "urn:calc/Add" });
  assert.equal(soapCallOf({ version: "1.2", namespace: "urn:calc" }, { operation: "Add", action: "urn:other#add" }), {
    version: soap12,
    namespace: "urn:calc",
    operation: "Add",
    action: "urn:other#add",
  });
});

test("writeSoapRequest 1.1: the operation element in the namespace, SOAPAction quoted, text/xml", async () => {
  const headers: HeaderMap = {};
  const bytes = writeSoapRequest(soapCallOf({ version: "1.1", namespace: "urn:calc" }, { operation: "Add" }), { a: 2, b: 40 }, undefined, xml, headers);
  assert.equal(headers, { accept: "text/xml", soapaction: '"urn:calc/Add"', "content-type": "text/xml; charset=utf-8" });
  assert.match(text(bytes), '<soap:Body><Add xmlns="urn:calc"><a>2</a><b>40</b></Add></soap:Body>');
  const envelope = readEnvelope(await xml.parse(bytes));
  assert.is(envelope.version, soap11);
  assert.is(envelope.body?.name, "Add");
});

test("writeSoapRequest 1.2: the action rides in the content type, no SOAPAction header", () => {
  const headers: HeaderMap = {};
  const bytes = writeSoapRequest(soapCallOf({ version: "1.2", namespace: "urn:a&b" }, { operation: "Add" }), {}, undefined, xml, headers);
  assert.equal(headers, { accept: "application/soap+xml", "content-type": 'application/soap+xml; charset=utf-8; action="urn:a&b/Add"' });
  assert.match(text(bytes), `xmlns:soap="${soap12.envelopeNamespace}"`);
  assert.match(text(bytes), '<Add xmlns="urn:a&amp;b"');
});

test("readSoapReply: the Body's element as a value, typed by the shape; an empty Body is {}", async () => {
  const reply = Buffer.from(`<e:Envelope xmlns:e="${soap11.envelopeNamespace}"><e:Body><AddResponse xmlns="urn:calc"><items>1</items></AddResponse></e:Body></e:Envelope>`);
  assert.equal(await readSoapReply(reply, xml, documentShape("AddResponse", ["items"])), { items: ["1"] });
  assert.equal(await readSoapReply(reply, xml, undefined), { items: "1" });
  const empty = Buffer.from(`<e:Envelope xmlns:e="${soap12.envelopeNamespace}"><e:Body/></e:Envelope>`);
  assert.equal(await readSoapReply(empty, xml, undefined), {});
});

test("readSoapReply: a Fault is the error it stands for (Client → INVALID_ARGUMENT, Server → INTERNAL), with the fault code in an ErrorInfo", async () => {
  const fault = (code: string) =>
    Buffer.from(`<s:Envelope xmlns:s="${soap11.envelopeNamespace}"><s:Body><s:Fault><faultcode>s:${code}</faultcode><faultstring>no such book</faultstring></s:Fault></s:Body></s:Envelope>`);
  const client = await failureOf(readSoapReply(fault("Client"), xml, undefined));
  assert.ok(client instanceof GatewayError);
  assert.is(client.code, StatusCode.INVALID_ARGUMENT);
  assert.is(client.message, "no such book");
  assert.equal(client.details[0], { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SOAP_FAULT", domain: "soap", metadata: { faultcode: "s:Client" } });
  assert.is((await failureOf(readSoapReply(fault("Server"), xml, undefined)))?.code, StatusCode.INTERNAL);
});

test("readSoapReply: a reply that is no SOAP envelope, or not XML at all, is the upstream's failure: 502 INTERNAL", async () => {
  for (const reply of ["<html><body>maintenance</body></html>", '{"not": "xml"}', `<Envelope xmlns="urn:not-soap"><Body/></Envelope>`]) {
    const error = await failureOf(readSoapReply(Buffer.from(reply), xml, undefined));
    assert.ok(error instanceof GatewayError, reply);
    assert.is(error.code, StatusCode.INTERNAL, reply);
    assert.is(error.httpStatus, 502, reply);
    assert.match(error.message, "the upstream's SOAP reply could not be read: ", reply);
  }
});

test("client and facade agree: a request written by the client is served, and the facade's Fault keeps its google.rpc.Status code", async () => {
  const facade = createSoapFacade({
    serviceName: "Calculator",
    operations: new Map([
      [
        "Add",
        {
          handler: async (request) => {
            const { a, b } = (request.body.kind === "value" ? request.body.value : {}) as { a?: string; b?: string };
            if (a === undefined) throw new GatewayError(StatusCode.NOT_FOUND, "a is missing");
            return { status: 200, headers: {}, body: valueBody({ sum: Number(a) + Number(b) }) };
          },
          requestShape: documentShape("Add"),
          responseShape: documentShape("AddResponse"),
        },
      ],
    ]),
    targetNamespace: "urn:calc",
    wsdl: () => "<definitions/>",
    xml,
    maxBodyBytes: 64 * 1024,
  });
  for (const version of ["1.1", "1.2"] as const) {
    const call = soapCallOf({ version, namespace: "urn:calc" }, { operation: "Add" });
    const send = async (value: unknown) => {
      const headers: HeaderMap = {};
      const body = bytesBody(writeSoapRequest(call, value, undefined, xml, headers));
      const request = createRequestEnvelope({
        method: "POST",
        path: "/soap",
        rawQuery: "",
        headers,
        body,
        peer: { address: "127.0.0.1", port: 1, listener: "test", protocol: "http", scheme: "http" },
        requestId: "r",
      });
      const response = await facade(request);
      return readSoapReply(response.body.kind === "bytes" ? response.body.bytes : new Uint8Array(), xml, undefined);
    };
    assert.equal(await send({ a: 2, b: 40 }), { sum: "42" }, version);
    const error = await failureOf(send({ b: 1 }));
    assert.is(error?.code, StatusCode.NOT_FOUND, version);
    assert.is(error?.message, "a is missing", version);
  }
});

test.run();
