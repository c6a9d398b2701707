import { suite } from "uvu";
import * as assert from "uvu/assert";
import bcrypt from "bcryptjs";
import soap from "soap";
import { createGateway } from "../../../src/index.js";
import { VerifiedCredentials } from "../../../src/filters/auth/verified-credentials.js";
import { ConfigError } from "../../../src/options/error-codes.js";
import { tcpClient } from "../../helpers/frame-clients.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { waitFor } from "../../helpers/wait.js";
import { startAuthGateway, type AuthGateway } from "./auth-gateway.js";

/** basic-auth over real sockets: HTTP, TCP frames, and a SOAP caller (node-soap) in front of a real grpc-js server. */
const basic = suite<{ gw: AuthGateway; grpc: TestGrpcServer }>("basic-auth");

const opsPassword = "correct horse battery staple";
const slowPassword = "slow-but-cached";
const authorization = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

basic.before(async (context) => {
  context.grpc = await startLibraryServer();
  // Hashes are made now; cost 4 keeps the suite quick, cost 10 makes checks overlap for the concurrency cap.
  const users = { ops: bcrypt.hashSync(opsPassword, 4), jürgen: bcrypt.hashSync("grüße", 4) };
  context.gw = await startAuthGateway(
    (service) => [
      { id: "basic", match: { path: "/basic/**" }, filters: [{ "basic-auth": { users, forward: "x-user" } }, "show-consumer"], upstream: { service } },
      {
        id: "capped",
        match: { path: "/capped/**" },
        filters: [{ "basic-auth": { users: { slow: bcrypt.hashSync(slowPassword, 10) }, maxConcurrentChecks: 1, realm: "capped" } }],
        upstream: { service },
      },
      { id: "soap", match: { path: "/soap/Library" }, filters: [{ "basic-auth": { users } }], upstream: { service: "library", soap: "rosetta.test.v1.Library" } },
    ],
    { protos: { include: ["test/protos"] }, services: { library: { protocol: "grpc", targets: [context.grpc.target], protos: ["rosetta/test/v1/library.proto"] } } },
  );
});

basic.after(async ({ gw, grpc }) => {
  await gw.close();
  await grpc.close();
});

const get = (gw: AuthGateway, path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers });

basic("no credentials → 401 with a Basic challenge; the upstream is not called", async ({ gw }) => {
  const before = gw.upstream.received.length;
  const response = await get(gw, "/basic/a");
  assert.is(response.status, 401);
  assert.is(response.headers.get("www-authenticate"), 'Basic realm="rosetta", charset="UTF-8"');
  assert.is(((await response.json()) as { code: number }).code, 16);
  assert.is(gw.upstream.received.length, before);
});

basic("a wrong password and an unknown user get the same 401; malformed credentials too", async ({ gw }) => {
  const wrong = await get(gw, "/basic/a", { authorization: authorization("ops", "guess") });
  const unknown = await get(gw, "/basic/a", { authorization: authorization("nobody", "guess") });
  assert.is(wrong.status, 401);
  assert.is(unknown.status, 401);
  assert.is(await wrong.text(), await unknown.text());
  for (const header of ["Basic !!!", `Basic ${Buffer.from("no-colon").toString("base64")}`, "Bearer abc"]) {
    const response = await get(gw, "/basic/a", { authorization: header });
    assert.is(response.status, 401, header);
    assert.match(response.headers.get("www-authenticate") ?? "", "Basic realm=");
  }
});

basic("the right password: the user is the consumer and is forwarded; the Authorization header does not go upstream", async ({ gw }) => {
  const response = await get(gw, "/basic/a", { authorization: authorization("ops", opsPassword), "x-user": "root" });
  assert.is(response.status, 200);
  assert.is(response.headers.get("x-seen-consumer"), "ops");
  const seen = gw.upstream.received.at(-1)!.headers;
  assert.is(seen["x-user"], "ops");
  assert.is(seen.authorization, undefined);
  const utf8 = await get(gw, "/basic/b", { authorization: authorization("jürgen", "grüße") });
  assert.is(utf8.status, 200);
});

basic("a successful check is remembered: with one check allowed at once, cached callers all pass, wrong passwords at once get 503", async ({ gw }) => {
  const good = { authorization: authorization("slow", slowPassword) };
  assert.is((await get(gw, "/capped/a", good)).status, 200);
  const cached = await Promise.all(Array.from({ length: 8 }, () => get(gw, "/capped/a", good)));
  assert.equal(
    cached.map((response) => response.status),
    Array(8).fill(200),
  );
  const flood = await Promise.all(Array.from({ length: 8 }, (_, index) => get(gw, "/capped/a", { authorization: authorization("slow", `wrong-${index}`) })));
  const statuses = flood.map((response) => response.status);
  assert.ok(statuses.includes(503), statuses.join(","));
  assert.ok(
    statuses.every((status) => status === 401 || status === 503),
    statuses.join(","),
  );
  const busy = flood.find((response) => response.status === 503)!;
  assert.is(busy.headers.get("retry-after"), "1");
});

basic("TCP frames: credentials in the frame's headers; a refusal is a 401 frame with the Basic challenge", async ({ gw }) => {
  const client = await tcpClient(gw.port("tcp"));
  try {
    const [refused] = await client.call({ id: "1", method: "GET", path: "/basic/tcp", headers: { authorization: authorization("ops", "nope") } });
    assert.is(refused!.status, 401);
    assert.is(refused!.headers["www-authenticate"], 'Basic realm="rosetta", charset="UTF-8"');
    const [ok] = await client.call({ id: "2", method: "GET", path: "/basic/tcp", headers: { authorization: authorization("ops", opsPassword) } });
    assert.is(ok!.status, 200);
    assert.is(ok!.headers["x-seen-consumer"], "ops");
  } finally {
    client.close();
  }
});

basic("SOAP callers: a refusal is a Fault (401 with the challenge); node-soap with Basic credentials reads the WSDL and calls", async ({ gw }) => {
  const url = `${gw.url}/soap/Library`;
  const envelope12 = '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><l:GetShelf xmlns:l="urn:rosetta.test.v1.Library"><l:shelf>1</l:shelf></l:GetShelf></e:Body></e:Envelope>';
  const refused12 = await fetch(url, { method: "POST", headers: { "content-type": "application/soap+xml; charset=utf-8" }, body: envelope12 });
  assert.is(refused12.status, 401);
  assert.is(refused12.headers.get("www-authenticate"), 'Basic realm="rosetta", charset="UTF-8"');
  assert.is(refused12.headers.get("content-type"), "application/soap+xml; charset=utf-8");
  const fault12 = await refused12.text();
  assert.match(fault12, "<soap:Value>soap:Sender</soap:Value>");
  assert.match(fault12, "credentials are required (HTTP Basic)");
  // A plain XML caller (text/xml without SOAPAction) is no SOAP caller: it gets the <Status> document.
  const plain = await fetch(url, { method: "POST", headers: { "content-type": "text/xml" }, body: "<x/>" });
  assert.is(plain.status, 401);
  assert.match(await plain.text(), "<Status><code>16</code>");

  const denied = await soap.createClientAsync(`${url}?wsdl`, { wsdl_headers: { authorization: authorization("ops", "wrong") } }).then(
    () => "created",
    (error: Error) => error.message,
  );
  assert.is.not(denied, "created");
  const client = await soap.createClientAsync(`${url}?wsdl`, { wsdl_headers: { authorization: authorization("ops", opsPassword) } });
  try {
    await client.GetShelfAsync({ shelf: "1" });
    assert.unreachable("a call without credentials must fail");
  } catch (error) {
    const failure = error as { response?: { status: number; headers: Record<string, string> }; root?: any };
    assert.is(failure.response?.status, 401);
    assert.is(failure.response?.headers["www-authenticate"], 'Basic realm="rosetta", charset="UTF-8"');
    assert.is(failure.root.Envelope.Body.Fault.faultcode, "soap:Client");
  }
  client.setSecurity(new soap.BasicAuthSecurity("ops", opsPassword));
  const [shelf] = await client.GetShelfAsync({ shelf: "7" });
  assert.is(String(shelf.id), "7");
  assert.is(shelf.theme, "Poetry");
});

basic("passwords never reach the log", async ({ gw }) => {
  const all = gw.logs.join("\n");
  for (const secret of [opsPassword, slowPassword, "grüße", Buffer.from(`ops:${opsPassword}`).toString("base64")]) assert.not.match(all, secret);
});

basic("the verification cache: keyed by an HMAC (no password inside), bounded, entries expire, 0s disables it", async () => {
  const cache = new VerifiedCredentials(60_000, 3);
  const id = cache.idOf("ops", "hunter2", "$2b$04$hash");
  assert.not.match(id, "hunter2");
  assert.is.not(id, cache.idOf("ops", "hunter3", "$2b$04$hash"));
  assert.is.not(id, new VerifiedCredentials(60_000, 3).idOf("ops", "hunter2", "$2b$04$hash"));
  for (let index = 0; index < 10; index++) cache.add(cache.idOf("u", String(index), "h"));
  assert.is(cache.size, 3);
  assert.ok(cache.has(cache.idOf("u", "9", "h")));
  assert.not.ok(cache.has(cache.idOf("u", "0", "h")));
  const short = new VerifiedCredentials(1, 10);
  const entry = short.idOf("a", "b", "c");
  short.add(entry);
  await waitFor(() => !short.has(entry), "the entry to expire");
  const off = new VerifiedCredentials(0, 10);
  off.add(entry);
  assert.is(off.size, 0);
});

basic("config errors have paths and never show a hash", async () => {
  const problems = await createGateway({
    listeners: [{ name: "web", protocol: "http", port: 0 }],
    services: { up: { protocol: "http", targets: ["http://127.0.0.1:1"] } },
    routes: [{ id: "a", upstream: { service: "up" }, filters: [{ "basic-auth": { users: { ops: "plain-text-password", "a:b": bcrypt.hashSync("x", 4) }, cacheSize: -1 } }] }],
  }).then(
    () => "",
    (error: unknown) => (error instanceof ConfigError ? error.problems.map((problem) => `${problem.path}: ${problem.message}`).join("\n") : String(error)),
  );
  assert.match(problems, "routes[0].filters[0].basic-auth.users.ops: the value (not shown: it is a secret) is not a bcrypt hash");
  assert.not.match(problems, "plain-text-password");
  assert.match(problems, "routes[0].filters[0].basic-auth.users.a:b");
  assert.match(problems, "routes[0].filters[0].basic-auth.cacheSize");
});

basic.run();
