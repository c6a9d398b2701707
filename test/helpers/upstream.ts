import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

export interface TestUpstream {
  readonly origin: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real node:http upstream on 127.0.0.1:0 that records what it received.
 * The default handler answers 200 with a JSON echo of the request.
 */
export async function startUpstream(handler?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<TestUpstream> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // the gateway aborted the upload (its caller went away): nothing to answer
    }
    const body = Buffer.concat(chunks);
    received.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
    if (handler !== undefined) return handler(req, res, body);
    const text = JSON.stringify({ method: req.method, url: req.url, body: body.toString("utf8") });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
