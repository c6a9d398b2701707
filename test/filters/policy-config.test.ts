import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, createGateway, options, type FilterFactory } from "../../src/index.js";
import { consumerKey } from "../../src/filters/consumer.js";
import { echoEndpoint } from "../helpers/echo-endpoint.js";
import { waitFor } from "../helpers/wait.js";
import { createServer } from "node:net";
import { once } from "node:events";

/** Bad policy options are config errors with their paths; rate-limit keys by consumer in memory (no socket needed). */
async function problemsOf(config: Record<string, unknown>): Promise<Array<{ path: string; message: string }>> {
  const upstream = echoEndpoint();
  try {
    const gateway = await createGateway({ listeners: [{ name: "web", protocol: "http", port: 0 }], services: { up: { protocol: "echo" } }, ...config }, { plugins: upstream.plugins });
    await gateway.stop();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(({ path, message }) => ({ path, message }));
    throw error;
  }
  return [];
}

const route = (filters: unknown[]) => ({ routes: [{ id: "r", filters, upstream: { service: "up" } }] });

test("malformed policy options: each a ConfigError naming its path", async () => {
  const rows: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["rate-limit without rate", route([{ "rate-limit": { per: "1s" } }]), "routes[0].filters[0].rate-limit.rate", /required/],
    ["rate-limit per without unit", route([{ "rate-limit": { rate: 5, per: 1 } }]), "routes[0].filters[0].rate-limit.per", /duration/],
    ["rate-limit unknown key kind", route([{ "rate-limit": { rate: 5, key: "cookie:x" } }]), "routes[0].filters[0].rate-limit.key", /ip, route, consumer or header:NAME/],
    ["rate-limit unknown store", route([{ "rate-limit": { rate: 5, store: "memcached" } }]), "routes[0].filters[0].rate-limit.store", /memory|redis/],
    ["key: route on a global filter", { filters: [{ "rate-limit": { rate: 5, key: "route" } }] }, "filters[0].rate-limit.key", /global filter runs before routing/],
    ["store: redis without a redis section", route([{ "rate-limit": { rate: 5, store: "redis" } }]), "routes[0].filters[0].rate-limit.store", /top-level `redis`/],
    ["redis url that is not one", { redis: { url: "http://127.0.0.1:6379" } }, "redis.url", /Redis URL/],
    ["ip-filter with a bad CIDR", route([{ "ip-filter": { allow: ["10.0.0.0/40"] } }]), "routes[0].filters[0].ip-filter.allow[0]", /not an IP address or CIDR/],
    ["ip-filter with no rules", route([{ "ip-filter": {} }]), "routes[0].filters[0].ip-filter", /allow.*deny/],
    ["cors without origins", route([{ cors: {} }]), "routes[0].filters[0].cors.origins", /required/],
    ["cors origin with a path", route([{ cors: { origins: ["https://app.example.com/x"] } }]), "routes[0].filters[0].cors.origins[0]", /not an origin/],
    ["cors credentials with any origin", route([{ cors: { origins: ["*"], credentials: true } }]), "routes[0].filters[0].cors.credentials", /credentials cannot be allowed for any origin/],
  ];
  for (const [what, config, path, message] of rows) {
    const problems = await problemsOf(config);
    const found = problems.find((problem) => problem.path === path);
    assert.ok(found !== undefined, `${what}: expected a problem at ${path}, got ${JSON.stringify(problems)}`);
    assert.match(found!.message, message, what);
  }
});

test("the Redis connection opens only when a filter uses it", async () => {
  // A plain TCP server stands where Redis would be: only whether anyone connects matters here.
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    assert.equal(await problemsOf({ redis: { url }, ...route([{ "rate-limit": { rate: 5 } }]) }), []);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a connection attempt would have arrived by now
    assert.is(connections, 0, "store: memory only → no connection");
    const upstream = echoEndpoint();
    const gateway = await createGateway(
      { listeners: [{ name: "web", protocol: "http", port: 0 }], services: { up: { protocol: "echo" } }, redis: { url }, ...route([{ "rate-limit": { rate: 5, store: "redis" } }]) },
      { plugins: upstream.plugins },
    );
    try {
      await waitFor(() => connections > 0, "the redis store's connection");
    } finally {
      await gateway.stop();
    }
  } finally {
    server.close();
  }
});

test("rate-limit key consumer: one bucket per authenticated consumer; the ip when there is none", async () => {
  const upstream = echoEndpoint();
  // Stands for an authentication filter: it names the consumer from a header.
  const fakeAuth: FilterFactory = {
    name: "fake-auth",
    description: "test: consumer from x-user",
    optionsSchema: options.object({}),
    create: () => (next) => (request) => {
      const user = request.headers["x-user"];
      if (typeof user === "string") request.context.set(consumerKey, user);
      return next(request);
    },
  };
  upstream.plugins.filters.register(fakeAuth.name, fakeAuth);
  const gateway = await createGateway(
    {
      listeners: [{ name: "web", protocol: "http", port: 0 }],
      services: { up: { protocol: "echo" } },
      routes: [{ id: "r", filters: ["fake-auth", { "rate-limit": { rate: 1, per: "1h", key: "consumer" } }], upstream: { service: "up" } }],
    },
    { plugins: upstream.plugins },
  );
  try {
    const status = async (headers: Record<string, string>) => (await gateway.inject({ path: "/x", headers })).status;
    assert.equal([await status({ "x-user": "alice" }), await status({ "x-user": "alice" })], [200, 429]);
    assert.is(await status({ "x-user": "bob" }), 200, "bob has his own bucket");
    assert.equal([await status({}), await status({})], [200, 429], "anonymous callers share their address's bucket");
  } finally {
    await gateway.stop();
  }
});

test.run();
