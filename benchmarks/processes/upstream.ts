import { createServer } from "node:http";

/** The benchmark upstream: a plain node:http server answering a ~200-byte JSON document (after reading the body, if any). */
const body = JSON.stringify({
  id: "order-000123",
  item: "The Left Hand of Darkness",
  quantity: 2,
  status: "shipped",
  customer: { id: "c-42", name: "Genly Ai" },
  tags: ["sf", "classic"],
  total: "17.90",
});
const server = createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
  // A request with a body is answered once it is read, as an upload endpoint would.
  if (req.method === "GET") answer();
  else req.resume().once("end", answer);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port, bytes: Buffer.byteLength(body) })}\n`));
process.on("SIGTERM", () => process.exit(0));
