import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { waitFor } from "../../helpers/wait.js";

/** Real TCP upstreams (NDJSON frames echoing ids, a line protocol, one that never answers) behind a real gateway. */
interface TcpUpstream {
  readonly server: Server;
  readonly port: number;
  readonly connections: Socket[];
}

async function startTcpUpstream(onLine: (line: string, socket: Socket) => void): Promise<TcpUpstream> {
  const connections: Socket[] = [];
  const server = createServer((socket) => {
    connections.push(socket);
    let pending = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        onLine(line, socket);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as { port: number }).port, connections };
}

let frames: TcpUpstream;
/** The paths of the request frames the frames upstream has read, in order. */
const framePaths: string[] = [];
let lines: TcpUpstream;
let silent: TcpUpstream;
let gateway: TestGateway;
let refusedPort: number;

test.before(async () => {
  // Replies out of order: a frame asking for a delay is answered later, so only ids can match them.
  frames = await startTcpUpstream((line, socket) => {
    const frame = JSON.parse(line) as { id: string; method?: string; path: string; headers: Record<string, string>; body?: unknown };
    if (frame.method === undefined) return;
    framePaths.push(frame.path);
    const delay = Number(/delay=(\d+)/.exec(frame.path)?.[1] ?? 0);
    setTimeout(
      () =>
        socket.write(
          `${JSON.stringify({ id: frame.id, status: frame.path.startsWith("/missing") ? 404 : 200, headers: { "content-type": "application/json", "x-seen-path": frame.path }, body: { path: frame.path, method: frame.method, body: frame.body ?? null, caller: frame.headers["x-caller"] ?? null } })}\n`,
        ),
      delay,
    );
  });
  lines = await startTcpUpstream((line, socket) => socket.write(`${line.toUpperCase()}\n`));
  silent = await startTcpUpstream(() => {});
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  refusedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  gateway = await startGateway({
    services: {
      frames: { protocol: "tcp", targets: [`127.0.0.1:${frames.port}`], connections: 2 },
      lines: { protocol: "tcp", targets: [`127.0.0.1:${lines.port}`], framing: "line", connections: 1 },
      silent: { protocol: "tcp", targets: [`127.0.0.1:${silent.port}`], timeout: "200ms" },
      down: { protocol: "tcp", targets: [`127.0.0.1:${refusedPort}`], reconnectDelay: "500ms" },
    },
    routes: [
      { id: "items", match: { path: "/items/{id}" }, upstream: { service: "frames", path: "/stock/{id}" } },
      { id: "missing", match: { path: "/missing" }, upstream: { service: "frames" } },
      { id: "shout", match: { path: "/shout", methods: ["POST"] }, upstream: { service: "lines" } },
      { id: "silent", match: { path: "/silent" }, upstream: { service: "silent" } },
      { id: "down", match: { path: "/down" }, upstream: { service: "down" } },
    ],
  });
});

test.after(async () => {
  await gateway.stop();
  for (const upstream of [frames, lines, silent]) {
    for (const socket of upstream.connections) socket.destroy();
    upstream.server.close();
  }
});

test("a REST call becomes a frame; the reply frame's status, headers and body come back", async () => {
  const response = await fetch(`${gateway.url}/items/42?x=1`, { method: "POST", headers: { "content-type": "application/json", "x-caller": "me" }, body: '{"n":1}' });
  assert.is(response.status, 200);
  assert.is(response.headers.get("x-seen-path"), "/stock/42?x=1");
  assert.equal(await response.json(), { path: "/stock/42?x=1", method: "POST", body: { n: 1 }, caller: "me" });
  const missing = await fetch(`${gateway.url}/missing`);
  assert.is(missing.status, 404);
});

test("the same TCP service answers XML callers in XML", async () => {
  const response = await fetch(`${gateway.url}/items/7`, { headers: { accept: "application/xml" } });
  assert.is(response.headers.get("content-type"), "application/xml");
  assert.match(await response.text(), "<root><path>/stock/7</path><method>GET</method>");
});

test("many calls share the pooled connections, matched by the echoed id even when replies come out of order", async () => {
  const before = frames.connections.length;
  const delays = [300, 10, 200, 0, 100, 50, 250, 5];
  const replies = await Promise.all(delays.map((delay, index) => fetch(`${gateway.url}/items/${index}?delay=${delay}`).then((response) => response.json() as Promise<{ path: string }>)));
  replies.forEach((reply, index) => {
    assert.is(reply.path, `/stock/${index}?delay=${delays[index]}`);
  });
  assert.ok(frames.connections.length <= 2, `opened ${frames.connections.length - before} more connections, pool is 2`);
});

test("line framing: one line out, one line back, one call at a time per connection", async () => {
  const results = await Promise.all(
    ["abc", "def", "ghi"].map((text) => fetch(`${gateway.url}/shout`, { method: "POST", headers: { "content-type": "text/plain" }, body: text }).then((response) => response.text())),
  );
  assert.equal(results, ["ABC", "DEF", "GHI"]);
  assert.is(lines.connections.length, 1);
});

test("no reply in time → 504; refused → 503, then fail fast while the reconnect backs off", async () => {
  const slow = await fetch(`${gateway.url}/silent`);
  assert.is(slow.status, 504);
  assert.match(((await slow.json()) as { message: string }).message, "did not reply within 200ms");
  const refused = await fetch(`${gateway.url}/down`);
  assert.is(refused.status, 503);
  assert.match(((await refused.json()) as { message: string }).message, "refused the connection");
  const backingOff = await fetch(`${gateway.url}/down`);
  assert.is(backingOff.status, 503);
  assert.match(((await backingOff.json()) as { message: string }).message, /reconnecting in \d+ms/);
});

test("an upstream that drops the connection fails the calls on it with 503, and the next call reconnects", async () => {
  const pending = fetch(`${gateway.url}/items/1?delay=500`);
  await waitFor(() => framePaths.includes("/stock/1?delay=500"), "the upstream to read the request frame");
  for (const socket of frames.connections) socket.destroy();
  const dropped = await pending;
  assert.is(dropped.status, 503);
  assert.match(((await dropped.json()) as { message: string }).message, "closed the connection");
  const again = await fetch(`${gateway.url}/items/2`);
  assert.is(again.status, 200);
});

test.run();
