import { test } from "uvu";
import * as assert from "uvu/assert";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";
import { tcpClient, udpExchange, wsClient, type JsonFrame } from "../../helpers/frame-clients.js";

/**
 * The shared listener contract: the same request sent over HTTP, WebSocket,
 * TCP and UDP gets the same status and the same body, for a gRPC route, an
 * HTTP route, errors and unknown routes.
 */
let grpc: TestGrpcServer;
let http: TestUpstream;
let gateway: TestGateway;
const port = (name: string) => gateway.gateway.listeners.find((listener) => listener.name === name)!.address().port;

test.before(async () => {
  grpc = await startLibraryServer();
  http = await startUpstream((req, res, body) => {
    if (req.url === "/missing") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":"no such thing"}');
      return;
    }
    res.writeHead(201, { "content-type": "application/json", "x-upstream": "yes" });
    res.end(JSON.stringify({ method: req.method, url: req.url, body: body.length > 0 ? JSON.parse(body.toString()) : null }));
  });
  gateway = await startGateway({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0, websocket: { path: "/frames" } },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0 },
      { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0 },
      { name: "udp", protocol: "udp", host: "127.0.0.1", port: 0 },
    ],
    protos: { include: ["test/protos"] },
    services: {
      library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] },
      things: { protocol: "http", targets: [http.origin] },
    },
    routes: [{ id: "things", match: { path: "/things/{rest=**}" }, upstream: { service: "things", path: "/{rest}" } }],
  });
});

test.after(async () => {
  await gateway.stop();
  await grpc.close();
  await http.close();
});

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

const cases: Case[] = [
  { name: "gRPC unary GET", method: "GET", path: "/v1/shelves/1/books/2" },
  { name: "gRPC POST with body and query", method: "POST", path: "/v1/shelves/7/books", body: { title: "frames", pageCount: "12" } },
  { name: "gRPC error with details", method: "GET", path: "/v1/fail/3" },
  { name: "gRPC bad argument", method: "GET", path: "/v1/shelves/not-a-number" },
  { name: "HTTP upstream POST", method: "POST", path: "/things/a?b=1", body: { n: 1 } },
  { name: "HTTP upstream 404 passes through", method: "GET", path: "/things/missing" },
  { name: "unknown route", method: "GET", path: "/nowhere" },
  { name: "XML answer for an XML caller", method: "GET", path: "/v1/shelves/1/books/2", headers: { accept: "application/xml" } },
];

async function overHttp(c: Case): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${gateway.url}${c.path}`, { method: c.method, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body) });
  return { status: response.status, body: await response.text() };
}

/** The frame's body as the HTTP caller would have read it. */
function bodyText(frame: JsonFrame): string {
  if (frame.bodyBase64 !== undefined) return Buffer.from(frame.bodyBase64, "base64").toString();
  if (typeof frame.body === "string" && !/json/.test(frame.headers?.["content-type"] ?? "json")) return frame.body;
  return frame.body === undefined ? "" : JSON.stringify(frame.body);
}

const frameOf = (c: Case, id: string): JsonFrame => ({ id, method: c.method, path: c.path, headers: c.headers ?? {}, ...(c.body === undefined ? {} : { body: c.body }) });
const normal = (text: string) => (text.startsWith("{") || text.startsWith("[") ? JSON.stringify(JSON.parse(text)) : text);

for (const c of cases) {
  test(`contract: ${c.name} — same status and body on HTTP, WebSocket (both), TCP and UDP`, async () => {
    const expected = await overHttp(c);
    const ws = await wsClient(`ws://127.0.0.1:${port("ws")}/`);
    const upgraded = await wsClient(`ws://127.0.0.1:${port("web")}/frames`);
    const tcp = await tcpClient(port("tcp"));
    try {
      const replies = {
        ws: (await ws.call(frameOf(c, "1")))[0]!,
        upgraded: (await upgraded.call(frameOf(c, "2")))[0]!,
        tcp: (await tcp.call(frameOf(c, "3")))[0]!,
        // Padded so the reply fits the anti-amplification budget.
        udp: JSON.parse((await udpExchange(port("udp"), JSON.stringify({ ...frameOf(c, "4"), pad: "x".repeat(1500) })))[0]!.toString()) as JsonFrame,
      };
      for (const [listener, frame] of Object.entries(replies)) {
        assert.is(frame.status, expected.status, `${listener} status`);
        assert.is(normal(bodyText(frame)), normal(expected.body), `${listener} body`);
      }
    } finally {
      await ws.close();
      await upgraded.close();
      tcp.close();
    }
  });
}

test.run();
