import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";

/**
 * The fastest local upstream one Node core can be, for measuring load
 * generators: raw TCP, one fixed HTTP/1.1 response per request head (bodiless
 * GETs only), answers batched per read. It counts the requests it saw; a
 * small node:http control port answers GET /count with that count.
 */
const body = '{"ok":true}';
const response = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
let requests = 0;
const server = createServer((socket) => {
  socket.setNoDelay(true);
  let tail = "";
  socket.on("data", (chunk: Buffer) => {
    // Count the request heads that ended in this read, across read boundaries.
    const text = tail + chunk.toString("latin1");
    let count = 0;
    let at = text.indexOf("\r\n\r\n");
    let last = 0;
    while (at !== -1) {
      count++;
      last = at + 4;
      at = text.indexOf("\r\n\r\n", last);
    }
    tail = text.slice(Math.max(last, text.length - 3));
    if (count === 0) return;
    requests += count;
    socket.write(count === 1 ? response : Buffer.concat(Array.from({ length: count }, () => response)));
  });
  socket.on("error", () => undefined);
});
const control = createHttpServer((_, res) => res.end(JSON.stringify({ requests })));
server.listen(0, "127.0.0.1", () =>
  control.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port, controlPort: (control.address() as { port: number }).port })}\n`)),
);
process.on("SIGTERM", () => process.exit(0));
