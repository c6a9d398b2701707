import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createGateway } from "../../../src/index.js";
import { ConfigError } from "../../../src/options/error-codes.js";
import { tcpClient, wsClient } from "../../helpers/frame-clients.js";
import { startAuthGateway, type AuthGateway } from "./auth-gateway.js";

/** api-key over real sockets: an HTTP caller, a WebSocket and a TCP frame caller, a real node:http upstream. */
const apiKey = suite<{ gw: AuthGateway }>("api-key");

const aliceKey = "alice-key-0123456789";
const bobOld = "bob-old-key-abcdef";
const bobNew = "bob-new-key-ghijkl";

apiKey.before(async (context) => {
  context.gw = await startAuthGateway((service) => [
    {
      id: "keyed",
      match: { path: "/keyed/**" },
      filters: [{ "api-key": { header: "X-Api-Key", query: "api_key", consumers: { alice: { key: aliceKey }, bob: { keys: [bobOld, bobNew] } }, forward: "x-consumer" } }, "show-consumer"],
      upstream: { service },
    },
    {
      id: "kept",
      match: { path: "/kept/**" },
      filters: [{ "api-key": { consumers: { alice: { key: aliceKey } }, keepKey: true, realm: 'the "orders" API' } }],
      upstream: { service },
    },
  ]);
});

apiKey.after(async ({ gw }) => {
  await gw.close();
});

const lastSeen = (gw: AuthGateway) => gw.upstream.received.at(-1)!;

apiKey("no key → 401 UNAUTHENTICATED with an ApiKey challenge; the upstream is not called", async ({ gw }) => {
  const before = gw.upstream.received.length;
  const response = await fetch(`${gw.url}/keyed/a`);
  assert.is(response.status, 401);
  assert.is(response.headers.get("www-authenticate"), 'ApiKey realm="rosetta"');
  const status = (await response.json()) as { code: number; message: string };
  assert.is(status.code, 16);
  assert.is(status.message, "an API key is required in the x-api-key header or the api_key query parameter");
  assert.is(gw.upstream.received.length, before);
});

apiKey("a wrong key → 401, never 403, and the message does not repeat the key", async ({ gw }) => {
  const response = await fetch(`${gw.url}/keyed/a`, { headers: { "x-api-key": "guess-123" } });
  assert.is(response.status, 401);
  const text = await response.text();
  assert.not.match(text, "guess-123");
  assert.match(text, "the API key is not valid");
});

apiKey("a header key: the consumer is forwarded, set on the context, and the key does not go upstream", async ({ gw }) => {
  const response = await fetch(`${gw.url}/keyed/a?x=1`, { headers: { "x-api-key": aliceKey } });
  assert.is(response.status, 200);
  assert.is(response.headers.get("x-seen-consumer"), "alice");
  const seen = lastSeen(gw);
  assert.is(seen.headers["x-consumer"], "alice");
  assert.is(seen.headers["x-api-key"], undefined);
  assert.is(seen.url, "/keyed/a?x=1");
});

apiKey("a query key is removed from the query; the other parameters keep their exact bytes", async ({ gw }) => {
  const response = await fetch(`${gw.url}/keyed/q?a=%20b+c&api_key=${encodeURIComponent(aliceKey)}&z=%7E`);
  assert.is(response.status, 200);
  assert.is(lastSeen(gw).url, "/keyed/q?a=%20b+c&z=%7E");
});

apiKey("a caller-sent copy of the forward header is replaced by the consumer's name", async ({ gw }) => {
  await fetch(`${gw.url}/keyed/forged`, { headers: { "x-api-key": aliceKey, "x-consumer": "admin" } });
  assert.is(lastSeen(gw).headers["x-consumer"], "alice");
});

apiKey("several keys per consumer (rotation): the old and the new key both work", async ({ gw }) => {
  for (const key of [bobOld, bobNew]) {
    const response = await fetch(`${gw.url}/keyed/b`, { headers: { "x-api-key": key } });
    assert.is(response.status, 200);
    assert.is(response.headers.get("x-seen-consumer"), "bob");
  }
});

apiKey("keepKey sends the key upstream; the realm is quoted in the challenge", async ({ gw }) => {
  const refused = await fetch(`${gw.url}/kept/a`);
  assert.is(refused.headers.get("www-authenticate"), 'ApiKey realm="the \\"orders\\" API"');
  const response = await fetch(`${gw.url}/kept/a`, { headers: { "x-api-key": aliceKey } });
  assert.is(response.status, 200);
  assert.is(lastSeen(gw).headers["x-api-key"], aliceKey);
});

apiKey("WebSocket frames: the key in the frame's headers; a refusal is a 401 frame with the challenge header", async ({ gw }) => {
  const client = await wsClient(`ws://127.0.0.1:${gw.port("ws")}/`);
  try {
    const [refused] = await client.call({ id: "1", method: "GET", path: "/keyed/ws", headers: { "x-api-key": "nope" } });
    assert.is(refused!.status, 401);
    assert.is(refused!.headers["www-authenticate"], 'ApiKey realm="rosetta"');
    assert.is(refused!.body.code, 16);
    const [ok] = await client.call({ id: "2", method: "GET", path: "/keyed/ws", headers: { "x-api-key": bobNew, "x-consumer": "root" } });
    assert.is(ok!.status, 200);
    assert.is(ok!.headers["x-seen-consumer"], "bob");
    assert.is(lastSeen(gw).headers["x-consumer"], "bob");
    assert.is(lastSeen(gw).headers["x-api-key"], undefined);
  } finally {
    await client.close();
  }
});

apiKey("TCP frames: the key as a query parameter of the frame's path", async ({ gw }) => {
  const client = await tcpClient(gw.port("tcp"));
  try {
    const [refused] = await client.call({ id: "1", method: "GET", path: "/keyed/tcp" });
    assert.is(refused!.status, 401);
    assert.is(refused!.headers["www-authenticate"], 'ApiKey realm="rosetta"');
    const [ok] = await client.call({ id: "2", method: "GET", path: `/keyed/tcp?api_key=${aliceKey}&n=1` });
    assert.is(ok!.status, 200);
    assert.is(lastSeen(gw).url, "/keyed/tcp?n=1");
  } finally {
    client.close();
  }
});

apiKey("keys never reach the log", async ({ gw }) => {
  const all = gw.logs.join("\n");
  for (const key of [aliceKey, bobOld, bobNew]) assert.not.match(all, key);
});

const problemsOf = (filters: unknown[]) =>
  createGateway({
    listeners: [{ name: "web", protocol: "http", port: 0 }],
    services: { up: { protocol: "http", targets: ["http://127.0.0.1:1"] } },
    routes: [{ id: "a", upstream: { service: "up" }, filters }],
  }).then(
    async (gateway) => {
      await gateway.stop(0);
      return "";
    },
    (error: unknown) => (error instanceof ConfigError ? error.problems.map((problem) => `${problem.path}: ${problem.message}`).join("\n") : String(error)),
  );

apiKey("config errors have paths, and never show a key: a bad header name, a consumer without a key, a bad key, a key two consumers share", async () => {
  const invalid = await problemsOf([{ "api-key": { header: "bad header", consumers: { x: {}, y: { key: "has space" } } } }]);
  assert.match(invalid, "routes[0].filters[0].api-key.header");
  assert.match(invalid, 'routes[0].filters[0].api-key.consumers.x: a consumer needs "key" or "keys"');
  assert.match(invalid, "routes[0].filters[0].api-key.consumers.y.key: the value (not shown: it is a secret)");
  assert.not.match(invalid, "has space");
  const shared = await problemsOf([{ "api-key": { consumers: { p: { key: "same-key-1" }, q: { keys: ["same-key-1"] } } } }]);
  assert.match(shared, 'routes[0].filters[0].api-key.consumers.q: consumers "p" and "q" share a key');
  assert.not.match(shared, "same-key-1");
});

apiKey.run();
