import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { createGateway } from "../../src/gateway/create-gateway.js";
import type { Gateway } from "../../src/gateway/gateway.js";
import { ConfigError } from "../../src/options/error-codes.js";

/** The admin listener over a real socket: endpoints, token, readiness, redaction, generated routes. */
const listeners = [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }];

async function build(config: Record<string, unknown>): Promise<Gateway> {
  return createGateway({ listeners, ...config });
}

const adminUrl = (gateway: Gateway) => `http://127.0.0.1:${gateway.admin!.address().port}`;

async function get(url: string, headers: Record<string, string> = {}, method = "GET") {
  const response = await request(url, { method: method as "GET", headers });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

test("no admin listener unless configured; with `admin`, it binds 127.0.0.1 by default", async () => {
  const without = await build({});
  assert.is(without.admin, undefined);
  assert.is(without.metrics, undefined);
  await without.stop(0);
  const gateway = await build({ admin: { port: 0 } });
  await gateway.listen();
  try {
    assert.is(gateway.admin!.address().host, "127.0.0.1");
    const alive = await get(`${adminUrl(gateway)}/healthz`);
    assert.is(alive.status, 200);
    assert.equal(alive.json(), { status: "alive" });
    const unknown = await get(`${adminUrl(gateway)}/nothing-here`);
    assert.is(unknown.status, 404);
    assert.match(String(unknown.json().error), /no admin endpoint GET \/nothing-here/);
    const reload = await get(`${adminUrl(gateway)}/reload`, {}, "POST");
    assert.is(reload.status, 501);
    assert.equal(reload.json(), { error: "reload not available" });
  } finally {
    await gateway.stop(0);
  }
});

test("a reload handler set on the gateway answers POST /reload", async () => {
  const gateway = await build({ admin: { port: 0 } });
  gateway.reloadHandler = async () => ({ status: 200, body: { reloaded: true } });
  await gateway.listen();
  try {
    const reload = await get(`${adminUrl(gateway)}/reload`, {}, "POST");
    assert.is(reload.status, 200);
    assert.equal(reload.json(), { reloaded: true });
  } finally {
    await gateway.stop(0);
  }
});

test("with a token, every admin request needs it as a bearer token", async () => {
  const token = "s3cr3t-admin-token-0123456789";
  const gateway = await build({ admin: { port: 0, token } });
  await gateway.listen();
  try {
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer wrong-token-of-some-length" }, { authorization: token }];
    for (const headers of attempts) {
      const refused = await get(`${adminUrl(gateway)}/metrics`, headers);
      assert.is(refused.status, 401, JSON.stringify(headers));
      assert.match(String(refused.headers["www-authenticate"]), /^Bearer/);
    }
    const allowed = await get(`${adminUrl(gateway)}/metrics`, { authorization: `Bearer ${token}` });
    assert.is(allowed.status, 200);
    assert.match(allowed.text, /# TYPE rosetta_requests_total counter/);
  } finally {
    await gateway.stop(0);
  }
});

test("/readyz: 503 until the listeners are bound, 200 after, 503 again while stopping", async () => {
  const gateway = await build({ admin: { port: 0 } });
  await gateway.admin!.start();
  const before = await get(`${adminUrl(gateway)}/readyz`);
  assert.is(before.status, 503);
  assert.equal(before.json(), { status: "not ready", reasons: ["listeners are not bound yet"] });
  await gateway.listen();
  const after = await get(`${adminUrl(gateway)}/readyz`);
  assert.is(after.status, 200);
  assert.equal(after.json(), { status: "ready" });
  const url = adminUrl(gateway);
  const stopping = gateway.stop(0);
  assert.is(gateway.readiness().ready, false);
  assert.ok(gateway.readiness().reasons.includes("the gateway is stopping"));
  await stopping;
  await request(url).then(
    () => assert.unreachable("the admin listener closes with the gateway"),
    () => undefined,
  );
});

test("/config shows the config as given, with every secret redacted", async () => {
  const gateway = await build({
    admin: { port: 0, token: "another-admin-token-0123456789" },
    services: { orders: { protocol: "http", targets: ["http://127.0.0.1:7001"] } },
    routes: [{ id: "orders", match: { path: "/orders" }, upstream: { service: "orders" }, filters: [{ "request-headers": { set: { "x-api-token": "abc", "x-visible": "yes" } } }] }],
  });
  await gateway.listen();
  try {
    const response = await get(`${adminUrl(gateway)}/config`, { authorization: "Bearer another-admin-token-0123456789" });
    assert.is(response.status, 200);
    assert.not.match(response.text, /another-admin-token|"abc"/);
    const config = response.json() as { admin: Record<string, unknown>; routes: { filters: { "request-headers": { set: Record<string, string> } }[] }[]; services: unknown };
    assert.is(config.admin.token, "[redacted]");
    assert.is(config.routes[0]!.filters[0]!["request-headers"].set["x-api-token"], "[redacted]");
    assert.is(config.routes[0]!.filters[0]!["request-headers"].set["x-visible"], "yes");
    assert.equal(config.services, { orders: { protocol: "http", targets: ["http://127.0.0.1:7001"] } });
  } finally {
    await gateway.stop(0);
  }
});

test("/routes lists config routes and the routes gRPC annotations generate, as JSON and as a text table; /upstreams lists targets", async () => {
  const gateway = await build({
    admin: { port: 0 },
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: ["127.0.0.1:1"], protos: ["rosetta/test/v1/library.proto"] } },
    routes: [{ id: "explicit-shelf", match: { path: "/api/shelves/{shelf}", methods: ["GET"], listeners: ["web"] }, upstream: { service: "library", method: "rosetta.test.v1.Library/GetShelf" } }],
  });
  await gateway.listen();
  try {
    const { routes } = (await get(`${adminUrl(gateway)}/routes`)).json() as { routes: Record<string, unknown>[] };
    assert.equal(routes[0], {
      id: "explicit-shelf",
      listeners: ["web"],
      methods: ["GET"],
      path: "/api/shelves/{shelf}",
      service: "library",
      upstream: "rosetta.test.v1.Library/GetShelf",
      source: "config",
    });
    const generated = routes.filter((route) => route.source === "generated");
    assert.ok(generated.length >= 3, `annotation routes: ${generated.length}`);
    const getShelf = generated.find((route) => route.path === "/v1/shelves/{shelf}");
    assert.ok(getShelf !== undefined);
    assert.equal(getShelf.methods, ["GET"]);
    assert.is(getShelf.upstream, "rosetta.test.v1.Library/GetShelf");
    const text = await get(`${adminUrl(gateway)}/routes?format=text`);
    assert.match(String(text.headers["content-type"]), /^text\/plain/);
    const lines = text.text.trimEnd().split("\n");
    assert.match(lines[0]!, /^ID\s+LISTENERS\s+METHODS\s+PATH\s+SERVICE\s+UPSTREAM\s+SOURCE$/);
    assert.is(lines.length, routes.length + 1);
    assert.match(text.text, /explicit-shelf\s+web\s+GET\s+\/api\/shelves\/\{shelf\}\s+library\s+rosetta\.test\.v1\.Library\/GetShelf\s+config/);
    const upstreams = (await get(`${adminUrl(gateway)}/upstreams`)).json();
    assert.equal(upstreams, { services: [{ service: "library", protocol: "grpc", targets: [{ target: "127.0.0.1:1", healthy: true, ejected: false, weight: 1 }] }] });
  } finally {
    await gateway.stop(0);
  }
});

test("a malformed admin section is a config error with its path", async () => {
  try {
    await build({ admin: { port: "high", token: "short", readiness: { requireHealthyTargets: "yes" } } });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, ConfigError);
    const paths = (error as ConfigError).problems.map((problem) => problem.path).sort();
    assert.equal(paths, ["admin.port", "admin.readiness.requireHealthyTargets", "admin.token"]);
  }
});

test.run();
