import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { request } from "undici";
import { createGateway, type Gateway, type Logger } from "../../src/index.js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";
import { makePki, type TestPki } from "../helpers/test-certificates.js";

let pki: TestPki;
const warnings: string[] = [];
const logger: Logger = { info() {}, warn: (message) => warnings.push(message), error() {} };

test.before(() => {
  pki = makePki();
  pki.authority("other-ca");
  pki.issue("impostor", { ca: "other-ca" });
});
test.after(() => pki?.remove());

/** The client certificate's CN as a TLS server saw it, or "none". */
function clientCn(socket: TLSSocket): string {
  const cn = socket.getPeerCertificate().subject?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) ?? "none";
}

async function startGatewayWith(services: Record<string, unknown>, routes: unknown[]): Promise<{ gateway: Gateway; url: string }> {
  const gateway = await createGateway({ listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }], protos: { include: [] }, services, routes }, { baseDirectory: pki.dir, logger });
  await gateway.listen();
  return { gateway, url: `http://127.0.0.1:${gateway.listeners[0]!.address().port}` };
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await request(url);
  return { status: response.statusCode, text: await response.body.text() };
}

test("http upstream over mTLS: the node https server verifies Rosetta's client certificate; a wrong CA or server name fails with 503; insecureSkipVerify warns", async () => {
  const upstream = createHttpsServer({ cert: pki.read("server.pem"), key: pki.read("server-key.pem"), ca: pki.read("ca.pem"), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const body = JSON.stringify({ client: clientCn(req.socket as TLSSocket), path: req.url });
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const origin = `https://localhost:${(upstream.address() as AddressInfo).port}`;
  const mtls = { ca: "ca.pem", cert: "alice.pem", key: "alice-key.pem" };
  const { gateway, url } = await startGatewayWith(
    {
      good: { protocol: "http", targets: [origin], tls: mtls },
      ipTarget: { protocol: "http", targets: [origin.replace("localhost", "127.0.0.1")], tls: { ...mtls, serverName: "localhost" } },
      noClientCert: { protocol: "http", targets: [origin], tls: { ca: "ca.pem" }, retries: 0 },
      wrongCa: { protocol: "http", targets: [origin], tls: { ...mtls, ca: "other-ca.pem" }, retries: 0 },
      wrongName: { protocol: "http", targets: [origin], tls: { ...mtls, serverName: "orders.internal" }, retries: 0 },
      skip: { protocol: "http", targets: [origin], tls: { ...mtls, ca: "other-ca.pem", insecureSkipVerify: true } },
    },
    ["good", "ipTarget", "noClientCert", "wrongCa", "wrongName", "skip"].map((service) => ({ id: service, match: { path: `/${service}/**` }, upstream: { service } })),
  );
  try {
    const good = await get(`${url}/good/a`);
    assert.is(good.status, 200, good.text);
    assert.equal(JSON.parse(good.text), { client: "alice", path: "/good/a" });
    assert.is((await get(`${url}/ipTarget/b`)).status, 200);
    for (const failing of ["noClientCert", "wrongCa", "wrongName"]) {
      const answer = await get(`${url}/${failing}/c`);
      assert.is(answer.status, 503, `${failing}: ${answer.text}`);
    }
    const skipped = await get(`${url}/skip/d`);
    assert.is(skipped.status, 200, skipped.text);
    assert.ok(
      warnings.some((line) => line.includes("insecureSkipVerify")),
      "insecureSkipVerify is logged as a warning",
    );
  } finally {
    await gateway.stop(500);
    upstream.close();
  }
});

async function startTlsShelves(checkClientCertificate: boolean): Promise<{ server: Server; port: number }> {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
    GetShelf: (call: ServerUnaryCall<{ shelf?: string }, object>, callback: sendUnaryData<object>) => {
      const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN ?? "unknown";
      callback(null, { id: call.request.shelf, theme: `for ${cn}` });
    },
  });
  const credentials = ServerCredentials.createSsl(pki.read("ca.pem"), [{ cert_chain: pki.read("server.pem"), private_key: pki.read("server-key.pem") }], checkClientCertificate);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return { server, port };
}

test("grpc upstream over mTLS, on both unary transports (node:http2 and grpc-js); a wrong CA is 503", async () => {
  const { server, port } = await startTlsShelves(true);
  const base = { protocol: "grpc", targets: [`localhost:${port}`], protos: ["rosetta/demo/v1/bookstore.proto"], unannotatedMethods: false, timeout: "5s" };
  const mtls = { ca: "ca.pem", cert: "alice.pem", key: "alice-key.pem" };
  const { gateway, url } = await startGatewayWith(
    {
      h2: { ...base, unaryTransport: "http2", tls: mtls },
      grpcjs: { ...base, unaryTransport: "grpc-js", tls: mtls },
      h2WrongCa: { ...base, unaryTransport: "http2", tls: { ...mtls, ca: "other-ca.pem" } },
      grpcjsWrongCa: { ...base, unaryTransport: "grpc-js", tls: { ...mtls, ca: "other-ca.pem" } },
    },
    ["h2", "grpcjs", "h2WrongCa", "grpcjsWrongCa"].map((service) => ({
      id: service,
      match: { path: `/${service}/shelves/{shelf}` },
      upstream: { service, method: "rosetta.demo.v1.Bookstore/GetShelf" },
    })),
  );
  try {
    for (const service of ["h2", "grpcjs"]) {
      const answer = await get(`${url}/${service}/shelves/3`);
      assert.is(answer.status, 200, `${service}: ${answer.text}`);
      assert.is(JSON.parse(answer.text).theme, "for alice", "the upstream saw Rosetta's client certificate");
    }
    for (const service of ["h2WrongCa", "grpcjsWrongCa"]) {
      const answer = await get(`${url}/${service}/shelves/3`);
      assert.is(answer.status, 503, `${service}: ${answer.text}`);
    }
  } finally {
    await gateway.stop(500);
    server.forceShutdown();
  }
});

test("grpc upstream: without a client certificate a server that requires one refuses (503) on both transports", async () => {
  const { server, port } = await startTlsShelves(true);
  const base = { protocol: "grpc", targets: [`localhost:${port}`], protos: ["rosetta/demo/v1/bookstore.proto"], unannotatedMethods: false, timeout: "5s", tls: { ca: "ca.pem" } };
  const { gateway, url } = await startGatewayWith(
    { h2: { ...base, unaryTransport: "http2" }, grpcjs: { ...base, unaryTransport: "grpc-js" } },
    ["h2", "grpcjs"].map((service) => ({ id: service, match: { path: `/${service}/shelves/{shelf}` }, upstream: { service, method: "rosetta.demo.v1.Bookstore/GetShelf" } })),
  );
  try {
    for (const service of ["h2", "grpcjs"]) {
      const answer = await get(`${url}/${service}/shelves/3`);
      assert.ok(answer.status === 503, `${service}: ${answer.status} ${answer.text}`);
    }
  } finally {
    await gateway.stop(500);
    server.forceShutdown();
  }
});

test("tcp upstream over mTLS: NDJSON frames on a tls server that requires Rosetta's certificate", async () => {
  const upstream = createTlsServer({ cert: pki.read("server.pem"), key: pki.read("server-key.pem"), ca: pki.read("ca.pem"), requestCert: true, rejectUnauthorized: true }, (socket) => {
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const frame = JSON.parse(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        socket.write(`${JSON.stringify({ id: frame.id, status: 200, body: { client: clientCn(socket), path: frame.path } })}\n`);
      }
    });
    socket.on("error", () => {});
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const target = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const { gateway, url } = await startGatewayWith(
    {
      stock: { protocol: "tcp", targets: [target], tls: { ca: "ca.pem", cert: "alice.pem", key: "alice-key.pem", serverName: "localhost" } },
      impostor: { protocol: "tcp", targets: [target], tls: { ca: "other-ca.pem", cert: "alice.pem", key: "alice-key.pem" } },
    },
    [
      { id: "stock", match: { path: "/stock/{sku}" }, upstream: { service: "stock" } },
      { id: "impostor", match: { path: "/impostor/{sku}" }, upstream: { service: "impostor" } },
    ],
  );
  try {
    const answer = await get(`${url}/stock/42`);
    assert.is(answer.status, 200, answer.text);
    assert.equal(JSON.parse(answer.text), { client: "alice", path: "/stock/42" });
    const refused = await get(`${url}/impostor/42`);
    assert.is(refused.status, 503, refused.text);
    assert.match(refused.text, /TLS handshake/);
  } finally {
    await gateway.stop(500);
    upstream.close();
  }
});

test.run();
