import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, renameSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import type { Logger } from "../../src/observability/logger.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";
import { tcpClient } from "../helpers/frame-clients.js";
import { startLibraryServer } from "../helpers/grpc-server.js";
import { consumerKey } from "../../src/filters/consumer.js";
import type { FilterFactory } from "../../src/filters/filter-factory.js";
import { object } from "../../src/options/schema.js";
import { waitFor } from "../helpers/wait.js";

/** Access-log lines as JSON.parse reads them, from real gateways writing to real files. */
type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const folder = mkdtempSync(join(tmpdir(), "rosetta-access-log-"));
const warnings: Record<string, unknown>[] = [];
const logger: Logger = { info() {}, warn: (message, fields) => void warnings.push({ message, ...fields }), error() {} };

function linesOf(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Line);
}

async function linesWhen(file: string, count: number): Promise<Line[]> {
  await waitFor(() => linesOf(file).length >= count, `${count} access-log lines in ${file}`);
  return linesOf(file);
}

/** A filter that names the consumer from a header, as an authentication filter would. */
const consumerFilter: FilterFactory<unknown> = {
  name: "test-consumer",
  description: "sets the consumer from x-test-consumer",
  optionsSchema: object({}, "test-consumer options"),
  create: () => (next) => (request) => {
    const name = request.headers["x-test-consumer"];
    if (typeof name === "string") request.context.set(consumerKey, name);
    return next(request);
  },
};

async function start(config: Record<string, unknown>): Promise<{ gateway: Gateway; port: (index?: number) => number }> {
  const plugins = builtinPlugins();
  plugins.filters.register(consumerFilter.name, consumerFilter);
  const withListener = { listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0 }], ...config };
  const gateway = await Gateway.start(validateGatewayConfig(withListener, plugins), plugins, logger);
  return { gateway, port: (index = 0) => gateway.listeners[index]!.address().port };
}

let upstream: TestUpstream;
const stops: (() => Promise<void>)[] = [];

test.before(async () => {
  upstream = await startUpstream();
});

test.after(async () => {
  for (const stop of stops) await stop();
  await upstream.close();
  rmSync(folder, { recursive: true, force: true });
});

test("one line per HTTP request with every field; the upstream gets this request's span as parent", async () => {
  const file = join(folder, "fields.log");
  const { gateway, port } = await start({
    accessLog: { to: file },
    services: { orders: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "get-order", match: { path: "/api/orders/{id}" }, upstream: { service: "orders", path: "/v2/orders/{id}" } }],
  });
  stops.push(() => gateway.stop(500));
  const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const response = await request(`http://127.0.0.1:${port()}/api/orders/7?x=1`, {
    method: "POST",
    headers: { traceparent: caller, tracestate: "vendor=1", "x-request-id": "req-fields-1", "content-type": "application/json" },
    body: '{"qty":2}',
  });
  const text = await response.body.text();
  assert.is(response.statusCode, 200);
  const [line] = await linesWhen(file, 1);
  assert.ok(line);
  assert.is(line.msg, "request");
  assert.ok(!Number.isNaN(Date.parse(line.time)), "ISO time");
  assert.is(line.requestId, "req-fields-1");
  assert.is(line.traceId, "0af7651916cd43dd8448eb211c80319c");
  assert.is(line.parentSpanId, "b7ad6b7169203331");
  assert.match(line.spanId, /^[0-9a-f]{16}$/);
  assert.is(line.listener, "web");
  assert.is(line.protocol, "http");
  assert.is(line.route, "get-order");
  assert.is(line.method, "POST");
  assert.is(line.path, "/api/orders/7");
  assert.is(line.status, 200);
  assert.is(line.grpcCode, undefined, "no gRPC code for an HTTP upstream");
  assert.is(line.service, "orders");
  assert.is(line.target, upstream.origin);
  assert.type(line.durationMs, "number");
  assert.type(line.upstreamMs, "number");
  assert.ok(line.upstreamMs <= line.durationMs);
  assert.type(line.translationMs, "number");
  assert.is(line.bytesIn, 9);
  assert.is(line.bytesOut, Buffer.byteLength(text));
  assert.is(line.client, "127.0.0.1");
  assert.is(line.consumer, undefined);
  // The upstream sees the same trace, with this request's span as its parent, and the caller's tracestate.
  const seen = upstream.received.at(-1)!;
  assert.is(seen.headers.traceparent, `00-0af7651916cd43dd8448eb211c80319c-${line.spanId}-01`);
  assert.is(seen.headers.tracestate, "vendor=1");
});

test("two gateways in a row: the lines of one trace id form the call tree", async () => {
  const fileB = join(folder, "b.log");
  const fileA = join(folder, "a.log");
  const b = await start({
    accessLog: { to: fileB },
    services: { orders: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "b-orders", match: { path: "/orders/{id}" }, upstream: { service: "orders" } }],
  });
  stops.push(() => b.gateway.stop(500));
  const a = await start({
    accessLog: { to: fileA },
    services: { edge: { protocol: "http", targets: [`http://127.0.0.1:${b.port()}`] } },
    routes: [{ id: "a-orders", match: { path: "/api/orders/{id}" }, upstream: { service: "edge", path: "/orders/{id}" } }],
  });
  stops.push(() => a.gateway.stop(500));
  for (let index = 0; index < 3; index++) {
    const response = await request(`http://127.0.0.1:${a.port()}/api/orders/${index}`);
    assert.is(response.statusCode, 200);
    await response.body.text();
  }
  const lines = [...(await linesWhen(fileA, 3)), ...(await linesWhen(fileB, 3))];
  const traceIds = new Set(lines.map((line) => line.traceId));
  assert.is(traceIds.size, 3, "each call started its own trace (the caller sent none)");
  for (const traceId of traceIds) {
    const tree = lines.filter((line) => line.traceId === traceId);
    assert.is(tree.length, 2);
    const root = tree.find((line) => line.parentSpanId === undefined)!;
    const child = tree.find((line) => line.parentSpanId !== undefined)!;
    assert.is(root.route, "a-orders");
    assert.is(child.route, "b-orders");
    assert.is(child.parentSpanId, root.spanId, "B's request hangs under A's");
    // And the real upstream behind B hangs under B.
    const seen = upstream.received.find((received) => received.headers.traceparent?.includes(traceId))!;
    assert.is(seen.headers.traceparent, `00-${traceId}-${child.spanId}-01`);
  }
});

test("a gRPC upstream: gRPC code, target, translation time; the consumer a filter set", async () => {
  const grpc = await startLibraryServer();
  stops.push(() => grpc.close());
  const file = join(folder, "grpc.log");
  const { gateway, port } = await start({
    accessLog: { to: file },
    protos: { include: ["test/protos"] },
    filters: ["test-consumer"],
    services: { library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] } },
    routes: [{ id: "shelf", match: { path: "/api/shelves/{shelf}" }, upstream: { service: "library", method: "rosetta.test.v1.Library/GetShelf" } }],
  });
  stops.push(() => gateway.stop(500));
  const ok = await request(`http://127.0.0.1:${port()}/api/shelves/5`, { headers: { "x-test-consumer": "alice" } });
  assert.is(ok.statusCode, 200);
  await ok.body.text();
  const failed = await request(`http://127.0.0.1:${port()}/v1/fail/5`);
  assert.is(failed.statusCode, 404);
  await failed.body.text();
  const [shelf, fail] = await linesWhen(file, 2);
  assert.is(shelf!.route, "shelf");
  assert.is(shelf!.service, "library");
  assert.is(shelf!.target, grpc.target);
  assert.is(shelf!.grpcCode, "OK");
  assert.ok(shelf!.translationMs > 0, "the request and reply were translated");
  assert.is(shelf!.consumer, "alice");
  assert.is(shelf!.bytesOut, undefined, "a value reply is encoded by the listener, after the line");
  assert.is(fail!.status, 404);
  assert.is(fail!.grpcCode, "NOT_FOUND");
  assert.is(fail!.service, "library");
  assert.type(fail!.route, "string");
  assert.type(fail!.error, "string");
  assert.is(fail!.consumer, undefined);
});

test("a frame call on TCP is logged with the trace id of its frame headers", async () => {
  const file = join(folder, "frames.log");
  const { gateway, port } = await start({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
      { name: "lines", protocol: "tcp", host: "127.0.0.1", port: 0 },
    ],
    accessLog: { to: file },
    services: { orders: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "orders", match: { path: "/orders/{id}" }, upstream: { service: "orders" } }],
  });
  stops.push(() => gateway.stop(500));
  const client = await tcpClient(port(1));
  const replies = await client.call({ id: "9", method: "GET", path: "/orders/1", headers: { traceparent: "00-11111111111111111111111111111111-2222222222222222-01" } });
  client.close();
  assert.is(replies.at(-1)!.status, 200);
  const [line] = await linesWhen(file, 1);
  assert.is(line!.listener, "lines");
  assert.is(line!.protocol, "tcp");
  assert.is(line!.traceId, "11111111111111111111111111111111");
  assert.is(line!.parentSpanId, "2222222222222222");
  assert.is(line!.route, "orders");
  assert.is(line!.status, 200);
});

test("sample 0 drops successes but writes every error; an upstream failure is also logged at warn with its cause, once", async () => {
  const file = join(folder, "sampled.log");
  const { gateway, port } = await start({
    accessLog: { to: file, sample: 0, fields: ["requestId", "status", "service", "error"] },
    services: {
      orders: { protocol: "http", targets: [upstream.origin] },
      down: { protocol: "http", targets: ["http://127.0.0.1:1"], connectTimeout: "500ms" },
    },
    routes: [
      { id: "ok", match: { path: "/ok" }, upstream: { service: "orders" } },
      { id: "down", match: { path: "/down" }, upstream: { service: "down" } },
    ],
  });
  stops.push(() => gateway.stop(500));
  for (let index = 0; index < 5; index++) await (await request(`http://127.0.0.1:${port()}/ok`)).body.text();
  const failed = await request(`http://127.0.0.1:${port()}/down`, { headers: { "x-request-id": "req-down" } });
  await failed.body.text();
  assert.is(failed.statusCode, 503);
  await (await request(`http://127.0.0.1:${port()}/nowhere`, { headers: { "x-request-id": "req-404" } })).body.text();
  const lines = await linesWhen(file, 2);
  // The two errors and nothing else, with only the fields asked for (time and msg always).
  assert.equal(
    lines.map((line) => line.requestId),
    ["req-down", "req-404"],
  );
  assert.equal(Object.keys(lines[0]!).sort(), ["error", "level", "msg", "requestId", "service", "status", "time"]);
  assert.is(lines[0]!.status, 503);
  assert.is(lines[0]!.service, "down");
  assert.is(lines[1]!.status, 404);
  const upstreamWarnings = warnings.filter((warning) => warning.requestId === "req-down");
  assert.is(upstreamWarnings.length, 1);
  assert.is(upstreamWarnings[0]!.message, "upstream call failed");
  assert.is(upstreamWarnings[0]!.service, "down");
  assert.is(upstreamWarnings[0]!.code, "UNAVAILABLE");
  assert.match(String(upstreamWarnings[0]!.cause), /127\.0\.0\.1:1/);
});

test("a log file moved away is reopened on SIGUSR2 (logrotate)", async () => {
  const file = join(folder, "rotated.log");
  const { gateway, port } = await start({
    accessLog: { to: file },
    services: { orders: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "orders", match: { path: "/orders/{id}" }, upstream: { service: "orders" } }],
  });
  stops.push(() => gateway.stop(500));
  await (await request(`http://127.0.0.1:${port()}/orders/before`)).body.text();
  await linesWhen(file, 1);
  renameSync(file, `${file}.1`);
  process.kill(process.pid, "SIGUSR2");
  await waitFor(() => existsSync(file), "the log file reopened under its name");
  await (await request(`http://127.0.0.1:${port()}/orders/after`)).body.text();
  const [after] = await linesWhen(file, 1);
  assert.is(after!.path, "/orders/after");
  assert.equal(
    linesOf(`${file}.1`).map((line) => line.path),
    ["/orders/before"],
  );
});

test("bad accessLog options are config errors with their paths", () => {
  const plugins = builtinPlugins();
  try {
    validateGatewayConfig({ listeners: [{ protocol: "http", port: 0 }], accessLog: { to: 3, sample: 2, fields: ["nope"], extra: true } }, plugins);
    assert.unreachable("accepted");
  } catch (error) {
    const paths = (error as { problems: { path: string }[] }).problems.map((problem) => problem.path).sort();
    assert.equal(paths, ["accessLog.extra", "accessLog.fields[0]", "accessLog.sample", "accessLog.to"]);
  }
});

test("an access log file that cannot be opened fails the start with its config path", async () => {
  const blocker = join(folder, "not-a-folder");
  writeFileSync(blocker, "");
  try {
    await start({ accessLog: { to: join(blocker, "access.log") }, services: {}, routes: [] });
    assert.unreachable("started");
  } catch (error) {
    const problems = (error as { problems: { path: string; code: string }[] }).problems;
    assert.equal(
      problems.map((problem) => [problem.path, problem.code]),
      [["accessLog.to", "ROSETTA_ERR_VALUE"]],
    );
  }
});

test.run();
