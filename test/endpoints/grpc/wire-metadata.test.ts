import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { validateGatewayConfig } from "../../../src/gateway/gateway-config.js";
import { Gateway } from "../../../src/gateway/gateway.js";
import { builtinPlugins } from "../../../src/gateway/plugins.js";
import type { Logger } from "../../../src/observability/logger.js";
import { httpCall } from "../../helpers/http-call.js";
import { startWireServer, type WireServer } from "../../helpers/wire-server.js";

/**
 * What travels beside a unary call's messages, over both unary transports
 * (Rosetta's own node:http2 client and grpc-js): request metadata gRPC
 * cannot carry, metadata and trailers of failed calls, Grpc-Timeout.
 */
interface Context {
  server: WireServer;
  gateway: Gateway;
  port: number;
  logged: { level: string; message: string; fields: Record<string, unknown> }[];
}

for (const transport of ["http2", "grpc-js"] as const) {
  const wire = suite<Context>(`gRPC wire metadata (${transport} unary transport)`);

  wire.before(async (context) => {
    context.server = await startWireServer();
    context.logged = [];
    const record =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        void context.logged.push({ level, message, fields });
    const logger: Logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
    const plugins = builtinPlugins();
    const config = {
      listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }],
      protos: { include: ["test/protos"] },
      services: { wire: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/wire.proto"], unaryTransport: transport, timeout: "5s" } },
    };
    context.gateway = await Gateway.start(validateGatewayConfig(config, plugins), plugins, logger);
    context.port = context.gateway.listeners[0]!.address().port;
  });

  wire.after(async ({ gateway, server }) => {
    await gateway.stop(1000);
    await server.close();
  });

  wire("Grpc-Metadata-* headers gRPC cannot carry are left out, named at debug (never their value), and the call is served", async ({ port, server, logged }) => {
    const before = server.calls.length;
    const reply = await httpCall(port, {
      method: "POST",
      path: "/v1/wire/echo",
      headers: {
        "content-type": "application/json",
        "grpc-metadata-x-kept": "plain ascii",
        // Latin-1 on the wire (node:http sends é as the byte 0xE9): not gRPC's ASCII-Value.
        "grpc-metadata-x-accent": "caf\u00e9-secret",
        // HTTP tokens that are not gRPC Header-Name characters.
        "grpc-metadata-x-bang!": "v1",
        "grpc-metadata-x*star": "v2",
      },
    });
    assert.is(reply.status, 200, reply.body);
    assert.is(server.calls.length, before + 1);
    const metadata: string[] = JSON.parse(reply.body).metadata;
    assert.ok(metadata.includes("x-kept=plain ascii"), metadata.join(" | "));
    assert.is(
      metadata.find((entry) => /accent|bang|star/.test(entry)),
      undefined,
    );
    const skipped = logged.filter((entry) => entry.message === "request header not sent as gRPC metadata");
    assert.equal(
      skipped.map((entry) => entry.level),
      ["debug", "debug", "debug"],
    );
    assert.equal(skipped.map((entry) => entry.fields.header).sort(), ["grpc-metadata-x*star", "grpc-metadata-x-accent", "grpc-metadata-x-bang!"]);
    assert.not.match(JSON.stringify(skipped), /secret|caf/);
  });

  wire("a failed call keeps its header metadata as Grpc-Metadata-* and its trailers as Grpc-Trailer-*", async ({ port }) => {
    const response = await request(`http://127.0.0.1:${port}/v1/wire/fail/9`);
    const body = (await response.body.json()) as { code: number; message: string };
    assert.is(response.statusCode, 400);
    assert.equal(body, { code: 9, message: "failed with 9", details: [] });
    assert.is(response.headers["grpc-metadata-x-fail-header"], "early");
    assert.is(response.headers["grpc-trailer-x-fail-trailer"], "late");
    assert.is(response.headers["grpc-metadata-x-fail-trailer"], undefined);
    assert.equal(response.trailers, {});
  });

  wire("with TE: trailers, a failed call's trailing metadata comes as real HTTP trailers, as on a success", async ({ port }) => {
    const response = await request(`http://127.0.0.1:${port}/v1/wire/fail/5`, { headers: { te: "trailers" } });
    const body = (await response.body.json()) as { code: number };
    assert.is(response.statusCode, 404);
    assert.is(body.code, 5);
    assert.is(response.headers["grpc-metadata-x-fail-header"], "early");
    assert.is(response.headers["grpc-trailer-x-fail-trailer"], undefined);
    assert.is(response.headers.trailer, "grpc-trailer-x-fail-trailer");
    assert.equal(response.trailers, { "grpc-trailer-x-fail-trailer": "late" });
  });

  wire("Grpc-Timeout that is not 1-8 digits and a unit → 400 naming the header, and no call upstream", async ({ port, server }) => {
    for (const value of ["INVALID", "10", "123456789m", "5s"]) {
      const before = server.calls.length;
      const response = await request(`http://127.0.0.1:${port}/v1/wire/echo`, { method: "POST", headers: { "grpc-timeout": value, "content-type": "application/json" }, body: "{}" });
      const body = (await response.body.json()) as { code: number; message: string };
      assert.is(response.statusCode, 400, value);
      assert.is(body.code, 3);
      assert.match(body.message, `invalid Grpc-Timeout header "${value}"`);
      assert.is(server.calls.length, before, value);
    }
    const valid = await request(`http://127.0.0.1:${port}/v1/wire/echo`, { method: "POST", headers: { "grpc-timeout": "5S", "content-type": "application/json" }, body: "{}" });
    await valid.body.dump();
    assert.is(valid.statusCode, 200);
  });

  wire.run();
}
