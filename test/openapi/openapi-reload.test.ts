import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { GatewayHost } from "../../src/gateway/gateway-host.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { silentLogger } from "../../src/observability/logger.js";

const plugins = builtinPlugins();

/** A config with the showcase service, and the route and document options given. */
const configWith = (openapi: Record<string, unknown>, routes: unknown[] = []) =>
  validateGatewayConfig(
    {
      listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }],
      protos: { include: ["test/protos"] },
      services: { showcase: { protocol: "grpc", targets: ["127.0.0.1:1"], protos: ["rosetta/test/v1/showcase.proto"], unannotatedMethods: false } },
      routes,
      openapi,
    },
    plugins,
  );

test("the document is built once per config: a reload serves the new one, at the new path; enabled: false serves none", async () => {
  const configs = [
    configWith({ title: "First" }),
    configWith({ title: "Second", path: "/api/openapi.json" }, [
      { id: "ping", match: { path: "/api/ping", methods: ["POST"] }, upstream: { service: "showcase", method: "rosetta.test.v1.Showcase/Ping" } },
    ]),
    configWith({ enabled: false }),
  ];
  let next = 0;
  const host = await GatewayHost.start({ load: async () => configs[next++]!, plugins, logger: silentLogger });
  try {
    const url = `http://127.0.0.1:${host.listeners()[0]!.address().port}`;
    const fetchDocument = async (path: string) => {
      const response = await request(`${url}${path}`);
      const text = await response.body.text();
      return { status: response.statusCode, document: response.statusCode === 200 ? (JSON.parse(text) as { info: { title: string }; paths: Record<string, unknown> }) : undefined };
    };
    const first = await fetchDocument("/openapi.json");
    assert.is(first.document?.info.title, "First");
    assert.is(first.document?.paths["/api/ping"], undefined);
    // Never per request: the same object is kept by the gateway.
    assert.is(host.gateway.openapi(), host.gateway.openapi());

    assert.ok((await host.reload()).ok);
    const second = await fetchDocument("/api/openapi.json");
    assert.is(second.document?.info.title, "Second");
    assert.ok(second.document?.paths["/api/ping"], "the new config's route is listed");
    assert.is((await fetchDocument("/openapi.json")).status, 404, "the old path is gone");

    assert.ok((await host.reload()).ok);
    assert.is((await fetchDocument("/openapi.json")).status, 404, "enabled: false");
    assert.ok(host.gateway.openapi().paths, "still built, for `rosetta openapi`");
  } finally {
    await host.stop(1000);
  }
});

test.run();
