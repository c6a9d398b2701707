import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { Socket } from "node:net";
import type { JWK } from "jose";

/** How the test IdP answers: the key set, a 500 (an outage), or never (a hung IdP). */
export type JwksMode = "ok" | "fail" | "hang";

export interface JwksServer {
  readonly url: string;
  /** The keys it serves; the test edits it to rotate. */
  keys: JWK[];
  mode: JwksMode;
  /** Requests it received (answered or not). */
  readonly hits: number;
  close(): Promise<void>;
}

/** A real node:http server serving a JWKS at /jwks.json on 127.0.0.1:0. */
export async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  const sockets = new Set<Socket>();
  let hits = 0;
  const state = { keys, mode: "ok" as JwksMode };
  const server: Server = createServer((req, res) => {
    hits++;
    if (state.mode === "hang") return;
    if (state.mode === "fail" || req.url !== "/jwks.json") {
      res.writeHead(state.mode === "fail" ? 500 : 404).end();
      return;
    }
    const body = JSON.stringify({ keys: state.keys });
    res.writeHead(200, { "content-type": "application/jwk-set+json", "content-length": Buffer.byteLength(body) }).end(body);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(value) {
      state.keys = value;
    },
    get mode() {
      return state.mode;
    },
    set mode(value) {
      state.mode = value;
    },
    get hits() {
      return hits;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
