import { createServer } from "node:http";

/** A local OTLP/HTTP sink for the tracing benchmark: reads each export and answers 200, keeping nothing. */
let spans = 0;
const server = createServer((req, res) => {
  let bytes = 0;
  req.on("data", (chunk: Buffer) => (bytes += chunk.length));
  req.once("end", () => {
    spans += bytes > 0 ? 1 : 0;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.on("SIGTERM", () => {
  process.stderr.write(`otlp-sink: ${spans} exports received\n`);
  process.exit(0);
});
