import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { Agent, request } from "undici";
import { WebSocket } from "ws";
import { createGateway, options, valueBody, type FilterFactory, type Gateway, type Logger } from "../../src/index.js";
import { echoEndpoint } from "../helpers/echo-endpoint.js";
import { makePki, type TestPki } from "../helpers/test-certificates.js";
import { waitFor } from "../helpers/wait.js";

/** A filter, registered as any embedding program would, that answers with what the listener put in the Peer. */
const peerTlsFilter: FilterFactory<unknown> = {
  name: "peer-tls",
  description: "answers with request.peer.tls",
  optionsSchema: options.object({}),
  create: () => () => async (request) => ({
    status: 200,
    headers: {},
    body: valueBody({ scheme: request.peer.scheme, forwardedProto: request.headers["x-forwarded-proto"] ?? null, tls: request.peer.tls ?? null }),
  }),
};

let pki: TestPki;
let gateway: Gateway;
const logged: string[] = [];
const logger: Logger = { info: (message) => logged.push(message), warn: (message) => logged.push(message), error: (message) => logged.push(message) };
const ports: Record<string, number> = {};

test.before(async () => {
  pki = makePki();
  pki.authority("other-ca");
  pki.issue("mallory", { cn: "mallory", ca: "other-ca", client: true });
  const { plugins } = echoEndpoint();
  plugins.filters.register(peerTlsFilter.name, peerTlsFilter);
  const tls = { cert: "server.pem", key: "server-key.pem" };
  gateway = await createGateway(
    {
      listeners: [
        { name: "https", protocol: "http", host: "127.0.0.1", port: 0, tls: { ...tls, ca: "ca.pem", clientCertificate: "request" }, websocket: { path: "/frames" } },
        { name: "mtls", protocol: "http", host: "127.0.0.1", port: 0, tls: { ...tls, ca: "ca.pem", clientCertificate: "require" } },
        { name: "wss", protocol: "ws", host: "127.0.0.1", port: 0, tls },
        { name: "tcps", protocol: "tcp", host: "127.0.0.1", port: 0, tls: { ...tls, ca: "ca.pem", clientCertificate: "request" } },
      ],
      services: { echo: { protocol: "echo" } },
      routes: [
        { id: "peer", match: { path: "/peer" }, filters: ["peer-tls"], upstream: { service: "echo" } },
        { id: "echo", match: { path: "/echo/**" }, upstream: { service: "echo" } },
      ],
    },
    { plugins, baseDirectory: pki.dir, logger },
  );
  await gateway.listen();
  for (const listener of gateway.listeners) ports[listener.name] = listener.address().port;
});

test.after(async () => {
  await gateway?.stop(500);
  pki?.remove();
});

const agent = (extra: Record<string, unknown> = {}) => new Agent({ connect: { ca: pki.read("ca.pem"), ...extra } });

async function getJson(port: number, path: string, extra: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  const dispatcher = agent(extra);
  try {
    const response = await request(`https://localhost:${port}${path}`, { dispatcher });
    return { status: response.statusCode, body: await response.body.json() };
  } finally {
    await dispatcher.close();
  }
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("curl", ["--silent", "--show-error", "--max-time", "20", ...args], (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }),
    );
  });
}

/** The subject CN of the certificate a new handshake gets (and closes). */
async function servedCommonName(port: number): Promise<string | undefined> {
  const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false });
  await once(socket, "secureConnect");
  const cn = socket.getPeerCertificate().subject?.CN;
  socket.destroy();
  return Array.isArray(cn) ? cn[0] : cn;
}

test("https: curl gets the route over TLS, verified against the test CA", async () => {
  const result = await curl(["--cacert", join(pki.dir, "ca.pem"), `https://localhost:${ports.https}/echo/a`]);
  assert.is(result.code, 0, result.stderr);
  assert.is(JSON.parse(result.stdout).path, "/echo/a");
  const plain = await curl([`http://127.0.0.1:${ports.https}/echo/a`]);
  assert.is.not(plain.code, 0, "plain HTTP on the https port must not be served");
});

test("https: undici sees the session on the Peer (scheme https, TLS 1.3, no client certificate)", async () => {
  const { status, body } = await getJson(ports.https!, "/peer");
  assert.is(status, 200);
  assert.is(body.scheme, "https");
  assert.is(body.forwardedProto, "https", "X-Forwarded-Proto sent upstream");
  assert.is(body.tls.protocol, "TLSv1.3");
  assert.is(body.tls.authorized, false);
  assert.is(body.tls.subject, undefined);
  assert.equal(body.tls.subjectAltNames, []);
});

test("clientCertificate: request — a verified certificate's subject, SANs and fingerprint reach the filter; a stranger's is marked unauthorized", async () => {
  const alice = await getJson(ports.https!, "/peer", { cert: pki.read("alice.pem"), key: pki.read("alice-key.pem") });
  assert.is(alice.body.tls.authorized, true);
  assert.is(alice.body.tls.commonName, "alice");
  assert.is(alice.body.tls.subject, "O=Rosetta Tests, CN=alice");
  assert.ok(alice.body.tls.subjectAltNames.includes("URI:spiffe://rosetta.test/alice"), alice.body.tls.subjectAltNames);
  assert.is(alice.body.tls.fingerprint256, new X509Certificate(pki.read("alice.pem")).fingerprint256);
  assert.is(alice.body.tls.issuer, "CN=Rosetta Test ca");
  const mallory = await getJson(ports.https!, "/peer", { cert: pki.read("mallory.pem"), key: pki.read("mallory-key.pem") });
  assert.is(mallory.body.tls.authorized, false);
  assert.is(mallory.body.tls.commonName, "mallory");
  assert.ok(typeof mallory.body.tls.authorizationError === "string" && mallory.body.tls.authorizationError.length > 0);
});

test("clientCertificate: require — no certificate, or one from another CA, fails the handshake; alice gets in (curl and undici)", async () => {
  const ca = join(pki.dir, "ca.pem");
  const without = await curl(["--cacert", ca, `https://localhost:${ports.mtls}/peer`]);
  assert.is.not(without.code, 0, "a caller without a certificate must be refused");
  const stranger = await curl(["--cacert", ca, "--cert", join(pki.dir, "mallory.pem"), "--key", join(pki.dir, "mallory-key.pem"), `https://localhost:${ports.mtls}/peer`]);
  assert.is.not(stranger.code, 0, "a certificate from another CA must be refused");
  const alice = await curl(["--cacert", ca, "--cert", join(pki.dir, "alice.pem"), "--key", join(pki.dir, "alice-key.pem"), `https://localhost:${ports.mtls}/peer`]);
  assert.is(alice.code, 0, alice.stderr);
  assert.is(JSON.parse(alice.stdout).tls.commonName, "alice");
  let refused = false;
  await getJson(ports.mtls!, "/peer").catch(() => (refused = true));
  assert.ok(refused, "undici without a certificate must fail");
});

async function wssCall(url: string, frame: object): Promise<any> {
  const socket = new WebSocket(url, { ca: pki.read("ca.pem"), cert: pki.read("alice.pem"), key: pki.read("alice-key.pem") });
  try {
    await once(socket, "open");
    socket.send(JSON.stringify(frame));
    const [data] = await once(socket, "message");
    return JSON.parse(String(data));
  } finally {
    socket.close();
  }
}

test("wss: a standalone ws listener and the https listener's upgrade both carry frames over TLS", async () => {
  const standalone = await wssCall(`wss://localhost:${ports.wss}/`, { id: "1", method: "GET", path: "/peer" });
  assert.is(standalone.status, 200);
  assert.is(standalone.body.scheme, "https");
  assert.is(standalone.body.tls.protocol, "TLSv1.3");
  const upgraded = await wssCall(`wss://localhost:${ports.https}/frames`, { id: "2", method: "GET", path: "/peer" });
  assert.is(upgraded.status, 200);
  assert.is(upgraded.body.tls.commonName, "alice", "the client certificate of the upgraded connection reaches the filter");
});

test("tcp: NDJSON frames over TLS with tls.connect, client certificate on the Peer", async () => {
  const socket = tlsConnect({ host: "127.0.0.1", port: ports.tcps!, servername: "localhost", ca: pki.read("ca.pem"), cert: pki.read("alice.pem"), key: pki.read("alice-key.pem") });
  await once(socket, "secureConnect");
  socket.write(`${JSON.stringify({ id: "7", method: "GET", path: "/peer" })}\n`);
  let text = "";
  await waitFor(async () => {
    const chunk = socket.read() as Buffer | null;
    if (chunk !== null) text += chunk.toString();
    return text.includes("\n");
  }, "the reply frame");
  socket.destroy();
  const reply = JSON.parse(text);
  assert.is(reply.id, "7");
  assert.is(reply.status, 200);
  assert.is(reply.body.tls.commonName, "alice");
  assert.is(reply.body.tls.authorized, true);
});

test("certificates reload without a restart: new handshakes get the new one, an open connection keeps working; a bad one is logged and the old kept", async () => {
  const port = ports.https!;
  assert.is(await servedCommonName(port), "localhost");
  // A keep-alive connection opened before the swap.
  const before = agent();
  const first = await request(`https://localhost:${port}/echo/before`, { dispatcher: before });
  assert.is(first.statusCode, 200);
  await first.body.text();

  pki.issue("renewed", { cn: "renewed.localhost" });
  copyFileSync(join(pki.dir, "renewed-key.pem"), join(pki.dir, "server-key.pem"));
  copyFileSync(join(pki.dir, "renewed.pem"), join(pki.dir, "server.pem"));
  await waitFor(async () => (await servedCommonName(port)) === "renewed.localhost", "a handshake with the renewed certificate", 10_000);
  const again = await request(`https://localhost:${port}/echo/after`, { dispatcher: before });
  assert.is(again.statusCode, 200, "the connection opened before the reload still serves");
  await again.body.text();
  await before.close();
  assert.ok(logged.includes("TLS certificates reloaded"));

  writeFileSync(join(pki.dir, "server.pem"), "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
  await waitFor(() => logged.some((line) => line.startsWith("TLS certificates not reloaded")), "the refused reload to be logged", 10_000);
  assert.is(await servedCommonName(port), "renewed.localhost", "the previous certificate is still served");
  const { status } = await getJson(port, "/echo/still");
  assert.is(status, 200);
  copyFileSync(join(pki.dir, "renewed.pem"), join(pki.dir, "server.pem"));
});

test.run();
