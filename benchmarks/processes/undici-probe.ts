import { createServer } from "node:http";
import { Pool } from "undici";

/**
 * The reference floor: the smallest correct-ish Node proxy, undici's
 * Pool.stream() written straight into the ServerResponse (no routing, no
 * filters, no header hygiene). Rosetta's overhead is measured against it.
 */
const pool = new Pool(process.argv[2]!, { connections: 256, keepAliveTimeout: 60_000 });
const server = createServer((req, res) => {
  const path = `/v2${req.url!.slice(4)}`;
  pool
    .stream({ path, method: req.method!, headers: { "x-forwarded-for": req.socket.remoteAddress! }, opaque: res }, ({ statusCode, headers, opaque }) => {
      delete headers.connection;
      delete headers["keep-alive"];
      const response = opaque as typeof res;
      response.writeHead(statusCode, headers as Record<string, string>);
      return response;
    })
    .catch(() => {
      res.statusCode = 502;
      res.end();
    });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.on("SIGTERM", () => process.exit(0));
