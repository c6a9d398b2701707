import { createServer } from "node:net";
import { once } from "node:events";
import { WebSocketServer } from "ws";

/**
 * The fastest frame server there is: a small fixed reply for every request
 * frame, over TCP (NDJSON) and WebSocket. With it, a frame load generator's
 * own cost shows instead of the gateway's. Prints `{ port (tcp), ws }`.
 */
const reply = (line: string) => {
  const { id } = JSON.parse(line) as { id: string };
  return `{"id":${JSON.stringify(id)},"status":200,"headers":{"content-type":"application/json"},"body":{"id":"1","theme":"Science fiction and fantasy"}}`;
};
const tcp = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("error", () => undefined);
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    let out = "";
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      out += `${reply(pending.slice(0, newline))}\n`;
      pending = pending.slice(newline + 1);
    }
    if (out !== "") socket.write(out);
  });
}).listen(0, "127.0.0.1");
const ws = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
ws.on("connection", (socket) => socket.on("message", (data) => socket.send(reply(String(data)))));
await Promise.all([once(tcp, "listening"), once(ws, "listening")]);
const portOf = (address: unknown) => (typeof address === "object" && address !== null && "port" in address ? address.port : 0);
process.stdout.write(`${JSON.stringify({ port: portOf(tcp.address()), ws: portOf(ws.address()) })}\n`);
process.on("SIGTERM", () => process.exit(0));
