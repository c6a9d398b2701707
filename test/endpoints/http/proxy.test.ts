import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";

// Both HTTP/1.1 transports: Rosetta's own client (the default) and undici's Pool.
for (const transport of ["rosetta", "undici"] as const) {
  const proxy = suite<{ upstream: TestUpstream; gateway: TestGateway }>(`http endpoint (transport: ${transport}): rewriting, passthrough, errors`);

  proxy.before(async (context) => {
    context.upstream = await startUpstream((req, res, body) => {
      if (req.url!.startsWith("/v2/missing")) {
        res.writeHead(404, { "content-type": "text/plain", "x-upstream": "yes" }).end("upstream says no");
        return;
      }
      if (req.url!.startsWith("/v2/bytes/")) {
        // Every byte value, repeated: a small body goes out with the head in one write, a large one streams.
        const bytes = Buffer.alloc(Number(req.url!.slice("/v2/bytes/".length)), 0).map((_, index) => index % 256);
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.byteLength }).end(bytes);
        return;
      }
      if (req.url!.startsWith("/v2/hop")) {
        res.writeHead(200, { connection: "x-up-secret", "x-up-secret": "1", "proxy-authenticate": "Basic", "x-end": "kept", "content-length": 2 }).end("ok");
        return;
      }
      const text = JSON.stringify({ method: req.method, url: req.url, body: body.toString() });
      res.writeHead(200, { "content-type": "application/json" }).end(text);
    });
    context.gateway = await startGateway({
      services: { orders: { protocol: "http", targets: [context.upstream.origin], transport } },
      routes: [
        { id: "get-order", match: { path: "/api/orders/{id}", methods: ["GET"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } },
        { id: "files", match: { path: "/api/files/{path=**}" }, upstream: { service: "orders", path: "/v2/files/{path}" } },
        { id: "by-lookup", match: { path: "/api/lookup", methods: ["POST"] }, upstream: { service: "orders", path: "/v2/customers/{customer.id}/orders/{order}" } },
        { id: "missing", match: { path: "/api/missing" }, upstream: { service: "orders", path: "/v2/missing" } },
        { id: "bytes", match: { path: "/api/bytes/{size}" }, upstream: { service: "orders", path: "/v2/bytes/{size}" } },
        { id: "hop", match: { path: "/api/hop" }, upstream: { service: "orders", path: "/v2/hop" } },
        { id: "as-is", match: { path: "/passthrough/**" }, upstream: { service: "orders", method: "PUT" } },
      ],
    });
  });

  proxy.after(async ({ upstream, gateway }) => {
    await gateway.stop();
    await upstream.close();
  });

  async function get(url: string, init: Parameters<typeof request>[1] = {}) {
    const response = await request(url, init);
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  }

  proxy("answer bodies arrive byte for byte, small (sent with the head) and large (streamed)", async ({ gateway }) => {
    for (const size of [1, 256, 300, 16 * 1024, 16 * 1024 + 1, 200_000]) {
      const response = await request(`${gateway.url}/api/bytes/${size}`);
      const bytes = Buffer.from(await response.body.arrayBuffer());
      assert.is(response.statusCode, 200);
      assert.is(response.headers["content-length"], String(size));
      assert.is(bytes.byteLength, size);
      assert.ok(
        bytes.every((byte, index) => byte === index % 256),
        `the ${size}-byte body is unchanged`,
      );
    }
  });

  proxy("path variables are rewritten into the upstream template", async ({ gateway }) => {
    const { status, text } = await get(`${gateway.url}/api/orders/42`);
    assert.is(status, 200);
    assert.is(JSON.parse(text).url, "/v2/orders/42");
  });

  proxy("single-segment values are re-encoded; multi-segment keep their slashes", async ({ gateway, upstream }) => {
    await get(`${gateway.url}/api/orders/a%2Fb%20c`);
    assert.is(upstream.received.at(-1)!.url, "/v2/orders/a%2Fb%20c");
    await get(`${gateway.url}/api/files/docs/2024/report%2Fv2.pdf`);
    assert.is(upstream.received.at(-1)!.url, "/v2/files/docs/2024/report%2Fv2.pdf");
  });

  proxy("the query string passes through unchanged", async ({ gateway, upstream }) => {
    await get(`${gateway.url}/api/orders/7?status=open&tag=a&tag=b&q=x%20y`);
    assert.is(upstream.received.at(-1)!.url, "/v2/orders/7?status=open&tag=a&tag=b&q=x%20y");
  });

  proxy("variables not in the route path come from headers, then query, then the JSON body", async ({ gateway, upstream }) => {
    await get(`${gateway.url}/api/lookup?order=9`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ customer: { id: "c-1" }, order: "from-body" }),
    });
    const seen = upstream.received.at(-1)!;
    assert.is(seen.url, "/v2/customers/c-1/orders/9?order=9");
    assert.equal(JSON.parse(seen.body.toString()), { customer: { id: "c-1" }, order: "from-body" }, "the body is still forwarded");
    await get(`${gateway.url}/api/lookup`, { method: "POST", headers: { "content-type": "application/json", order: "from-header" }, body: JSON.stringify({ customer: { id: 5 }, order: 1 }) });
    assert.is(upstream.received.at(-1)!.url, "/v2/customers/5/orders/from-header");
  });

  proxy("a variable with no value anywhere → 400 naming it", async ({ gateway }) => {
    const { status, text } = await get(`${gateway.url}/api/lookup`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.is(status, 400);
    assert.match(JSON.parse(text).message, /no value for "\{customer\.id\}"/);
  });

  proxy("malformed JSON → 400 INVALID_ARGUMENT saying where it broke", async ({ gateway }) => {
    const { status, text } = await get(`${gateway.url}/api/lookup`, { method: "POST", headers: { "content-type": "application/json" }, body: '{\n  "customer": {"id": 1,}\n}' });
    assert.is(status, 400);
    const body = JSON.parse(text);
    assert.is(body.code, 3);
    assert.match(body.message, /invalid JSON at line 2, column \d+/);
  });

  proxy("upstream errors pass through exactly as sent", async ({ gateway }) => {
    const { status, headers, text } = await get(`${gateway.url}/api/missing`);
    assert.is(status, 404);
    assert.is(text, "upstream says no");
    assert.is(headers["x-upstream"], "yes");
    assert.is(headers["content-type"], "text/plain");
  });

  proxy("hop-by-hop response headers are stripped", async ({ gateway }) => {
    const { status, headers } = await get(`${gateway.url}/api/hop`);
    assert.is(status, 200);
    assert.is(headers["x-up-secret"], undefined);
    assert.is(headers["proxy-authenticate"], undefined);
    assert.is(headers["x-end"], "kept");
  });

  proxy("without an upstream path the request path is forwarded; the method can be overridden", async ({ gateway, upstream }) => {
    await get(`${gateway.url}/passthrough/a/b?x=1`, { method: "POST", body: "hello" });
    const seen = upstream.received.at(-1)!;
    assert.is(seen.method, "PUT");
    assert.is(seen.url, "/passthrough/a/b?x=1");
    assert.is(seen.body.toString(), "hello");
  });

  proxy.run();
}
