import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { once } from "node:events";
import { request } from "undici";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../helpers/grpc-server.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

/** A span as the OTLP/HTTP JSON encoding carries it; ids are hex. */
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly status?: { code?: number };
  readonly service: unknown;
}

/** A real OTLP/HTTP receiver: decodes every export it receives (JSON) into spans. */
interface Receiver {
  readonly url: string;
  readonly spans: OtlpSpan[];
  readonly posts: number[];
  close(): Promise<void>;
}

function attributeValue(value: Record<string, unknown>): unknown {
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("boolValue" in value) return value.boolValue;
  if ("doubleValue" in value) return value.doubleValue;
  return value;
}

function attributes(list: { key: string; value: Record<string, unknown> }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((entry) => [entry.key, attributeValue(entry.value)]));
}

async function startReceiver(): Promise<Receiver> {
  const spans: OtlpSpan[] = [];
  const posts: number[] = [];
  const server: HttpServer = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    assert.is(req.method, "POST");
    assert.is(req.url, "/v1/traces");
    assert.is(req.headers["content-type"], "application/json");
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { resourceSpans: any[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    posts.push(body.resourceSpans.length);
    for (const resourceSpans of body.resourceSpans) {
      const service = attributes(resourceSpans.resource?.attributes)["service.name"];
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
            attributes: attributes(span.attributes),
            status: span.status,
            service,
          });
        }
      }
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, posts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A TCP upstream speaking NDJSON frames that keeps the headers of every request frame. */
async function startFrameUpstream(): Promise<{ port: number; headers: Record<string, string>[]; server: Server }> {
  const headers: Record<string, string>[] = [];
  const server = createServer((socket) => {
    let pending = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const frame = JSON.parse(pending.slice(0, newline)) as { id: string; headers: Record<string, string> };
        pending = pending.slice(newline + 1);
        headers.push(frame.headers);
        socket.write(`${JSON.stringify({ id: frame.id, status: 200, body: { ok: true } })}\n`);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as { port: number }).port, headers, server };
}

const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpan = "00f067aa0ba902b7";
const parentOf = (traceparent: unknown) => {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(String(traceparent));
  assert.ok(match, `a W3C traceparent: ${String(traceparent)}`);
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
};

let grpc: TestGrpcServer;
let http: TestUpstream;
let frames: Awaited<ReturnType<typeof startFrameUpstream>>;

test.before(async () => {
  grpc = await startLibraryServer();
  http = await startUpstream();
  frames = await startFrameUpstream();
});

test.after(async () => {
  await grpc.close();
  await http.close();
  frames.server.close();
});

function config(receiver: Receiver, sample: number): Record<string, unknown> {
  return {
    tracing: { otlp: receiver.url, sample, serviceName: "rosetta-test" },
    protos: { include: ["test/protos"] },
    services: {
      orders: { protocol: "http", targets: [http.origin] },
      "library-h2": { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"], unaryTransport: "http2", forwardHeaders: ["authorization"] },
      "library-js": { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"], unaryTransport: "grpc-js" },
      stock: { protocol: "tcp", targets: [`127.0.0.1:${frames.port}`] },
    },
    routes: [
      { id: "orders", match: { path: "/api/orders/{id}" }, upstream: { service: "orders" } },
      { id: "shelf-h2", match: { path: "/h2/shelves/{shelf}" }, upstream: { service: "library-h2", method: "rosetta.test.v1.Library/GetShelf" } },
      { id: "shelf-js", match: { path: "/js/shelves/{shelf}" }, upstream: { service: "library-js", method: "rosetta.test.v1.Library/GetShelf" } },
      { id: "stock", match: { path: "/stock/{id}" }, upstream: { service: "stock" } },
    ],
  };
}

async function call(gateway: TestGateway, path: string, headers: Record<string, string> = {}): Promise<void> {
  const response = await request(`${gateway.url}${path}`, { headers });
  await response.body.text();
  assert.is(response.statusCode, 200, path);
}

test("sample 1: the caller's trace is kept; every upstream kind gets the client span as parent; the receiver sees the tree", async () => {
  const receiver = await startReceiver();
  const gateway = await startGateway(config(receiver, 1));
  const caller = { traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: "congo=t61rcWkgMzE" };
  await call(gateway, "/api/orders/1", caller);
  await call(gateway, "/h2/shelves/7", caller);
  await call(gateway, "/js/shelves/8", caller);
  await call(gateway, "/stock/3", caller);
  await gateway.stop(1000); // flushes the exporter
  const seen = {
    orders: parentOf(http.received.at(-1)!.headers.traceparent),
    "shelf-h2": parentOf(grpc.calls.at(-2)!.metadata.traceparent),
    "shelf-js": parentOf(grpc.calls.at(-1)!.metadata.traceparent),
    stock: parentOf(frames.headers.at(-1)!.traceparent),
  };
  assert.is(http.received.at(-1)!.headers.tracestate, "congo=t61rcWkgMzE");
  assert.is(grpc.calls.at(-1)!.metadata.tracestate, "congo=t61rcWkgMzE");
  const spans = receiver.spans;
  for (const [route, upstream] of Object.entries(seen)) {
    assert.is(upstream.traceId, callerTrace, `${route}: the caller's trace id goes upstream`);
    assert.is(upstream.flags, "01");
    const client = spans.find((span) => span.spanId === upstream.spanId);
    assert.ok(client, `${route}: the upstream's parent is an exported span`);
    assert.is(client.kind, 3, "SPAN_KIND_CLIENT");
    assert.is(client.traceId, callerTrace);
    const server = spans.find((span) => span.spanId === client.parentSpanId)!;
    assert.ok(server, `${route}: the client span hangs under the request span`);
    assert.is(server.kind, 2, "SPAN_KIND_SERVER");
    assert.is(server.parentSpanId, callerSpan, `${route}: the request span hangs under the caller's`);
    assert.is(server.service, "rosetta-test");
    assert.is(server.name, `GET ${route}`);
    assert.is(server.attributes["http.route"], route);
    assert.is(server.attributes["http.response.status_code"], 200);
    assert.is(server.attributes["rosetta.listener"], "web");
    assert.is(server.attributes["rosetta.protocol"], "http");
    assert.is(server.attributes["http.request.method"], "GET");
    const children = spans.filter((span) => span.parentSpanId === server.spanId).map((span) => span.name);
    assert.ok(children.includes("routing"), `${route}: a routing span`);
    assert.ok(children.includes("filters"), `${route}: a filter-chain span`);
    if (route.startsWith("shelf")) {
      assert.ok(children.includes("translate"), `${route}: translation spans`);
      assert.is(client.attributes["rpc.system"], "grpc");
      assert.is(client.attributes["rpc.grpc.status_code"], 0);
      assert.is(client.attributes["server.address"], grpc.target);
    } else if (route === "orders") {
      assert.is(client.attributes["http.response.status_code"], 200);
      assert.is(client.attributes["server.address"], http.origin);
    }
  }
  await receiver.close();
});

test("sample 0: new traces are not recorded but still propagated unsampled; a caller's sampled trace is followed", async () => {
  const receiver = await startReceiver();
  const gateway = await startGateway(config(receiver, 0));
  await call(gateway, "/api/orders/2");
  const unsampled = parentOf(http.received.at(-1)!.headers.traceparent);
  assert.is(unsampled.flags, "00");
  assert.is.not(unsampled.traceId, callerTrace);
  await call(gateway, "/api/orders/3", { traceparent: `00-${callerTrace}-${callerSpan}-01` });
  const followed = parentOf(http.received.at(-1)!.headers.traceparent);
  assert.is(followed.flags, "01");
  await gateway.stop(1000);
  assert.ok(receiver.spans.length > 0);
  assert.equal([...new Set(receiver.spans.map((span) => span.traceId))], [callerTrace], "only the caller's sampled trace is exported");
  assert.ok(receiver.spans.some((span) => span.spanId === followed.spanId));
  await receiver.close();
});

test("two gateways in a row with tracing: the second's request span hangs under the first's client span", async () => {
  const receiver = await startReceiver();
  const second = await startGateway(config(receiver, 1));
  const first = await startGateway({
    tracing: { otlp: receiver.url, sample: 1 },
    services: { edge: { protocol: "http", targets: [second.url] } },
    routes: [{ id: "edge", match: { path: "/edge/{id}" }, upstream: { service: "edge", path: "/api/orders/{id}" } }],
  });
  await call(first, "/edge/5");
  await first.stop(1000);
  await second.stop(1000);
  const spans = receiver.spans;
  const firstServer = spans.find((span) => span.name === "GET edge")!;
  assert.ok(firstServer);
  assert.is(firstServer.parentSpanId, undefined, "a new trace");
  assert.is(firstServer.service, "rosetta");
  const firstClient = spans.find((span) => span.parentSpanId === firstServer.spanId && span.kind === 3)!;
  const secondServer = spans.find((span) => span.name === "GET orders")!;
  assert.is(secondServer.traceId, firstServer.traceId);
  assert.is(secondServer.parentSpanId, firstClient.spanId);
  await receiver.close();
});

test("bad tracing options are config errors with their paths", () => {
  try {
    validateGatewayConfig({ listeners: [{ protocol: "http", port: 0 }], tracing: { otlp: "udp://x", sample: 1.5 } }, builtinPlugins());
    assert.unreachable("accepted");
  } catch (error) {
    const paths = (error as { problems: { path: string }[] }).problems.map((problem) => problem.path).sort();
    assert.equal(paths, ["tracing.otlp", "tracing.sample"]);
  }
  try {
    validateGatewayConfig({ listeners: [{ protocol: "http", port: 0 }], tracing: { sample: 1 } }, builtinPlugins());
    assert.unreachable("accepted");
  } catch (error) {
    assert.equal(
      (error as { problems: { path: string }[] }).problems.map((problem) => problem.path),
      ["tracing.otlp"],
    );
  }
});

test.run();
