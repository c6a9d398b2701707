/**
 * A gateway with one HTTP listener (WebSocket on /ws, at most one WebSocket
 * connection) in front of a real node:http upstream, run as its own process
 * so that a test can see it die. Prints {"port": N} once it serves.
 * The upstream answers /slow-reply with ten chunks 50 ms apart.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import { startGateway } from "./gateway.js";

// Its own upstream (not startUpstream): a request the gateway abandons must not end this process.
const upstream = createServer((req, res) => {
  if (req.url === "/hang") return; // never answers (nor reads the body)
  if (req.url === "/slow-reply") {
    res.writeHead(200, { "content-type": "text/plain" });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || ++sent > 10) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write("x".repeat(1024));
    }, 50);
    return;
  }
  let bytes = 0;
  req.on("data", (chunk: Buffer) => (bytes += chunk.byteLength));
  req.on("error", () => {});
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ url: req.url, bytes })));
}).listen(0, "127.0.0.1");
await once(upstream, "listening");
const origin = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
const gateway = await startGateway({
  listeners: [
    {
      name: "web",
      protocol: "http",
      host: "127.0.0.1",
      port: 0,
      maxHeaderCount: 20,
      maxBodyBytes: 256 * 1024,
      // Bodies over 64 KiB stream, so the abuse stages reach a streamed body.
      bufferBodyBytes: 64 * 1024,
      websocket: { path: "/ws", maxConnections: 1 },
    },
  ],
  services: {
    echo: { protocol: "http", targets: [origin] },
    // One pooled connection: a second request waits in the pool's queue with its body unread.
    single: { protocol: "http", targets: [origin], connections: 1 },
    impatient: { protocol: "http", targets: [origin], timeout: "200ms" },
  },
  routes: [
    // POST /get-only is answered 405 by the router, which never reads the body.
    { id: "get-only", match: { path: "/get-only", methods: ["GET"] }, upstream: { service: "echo" } },
    { id: "single", match: { path: "/single/{rest=**}" }, upstream: { service: "single", path: "/{rest=**}" } },
    { id: "impatient", match: { path: "/impatient/{rest=**}" }, upstream: { service: "impatient", path: "/{rest=**}" } },
    { id: "all", upstream: { service: "echo" } },
  ],
});
process.stdout.write(`${JSON.stringify({ port: gateway.port })}\n`);
