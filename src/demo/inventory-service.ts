import { createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { FrameReader } from "../frames/stream-framing.js";

interface Stock {
  readonly sku: string;
  readonly title: string;
  quantity: number;
}

interface RequestFrame {
  readonly id?: string;
  readonly method?: string;
  readonly path?: string;
  readonly body?: { readonly delta?: unknown };
}

/**
 * The demo's TCP upstream: a stock keeper that speaks NDJSON frames (one
 * JSON frame per line, the reply echoes the id), the way a small service in
 * any language could. `GET /stock/{sku}` reads, `POST /stock/{sku}` with
 * `{"delta": n}` adjusts.
 */
export async function startInventoryService(host = "127.0.0.1"): Promise<{ server: Server; target: string }> {
  const stock = new Map<string, Stock>([
    ["dune", { sku: "dune", title: "Dune", quantity: 12 }],
    ["earthsea", { sku: "earthsea", title: "A Wizard of Earthsea", quantity: 3 }],
  ]);
  const answer = (frame: RequestFrame): { status: number; body: unknown } => {
    const match = /^\/stock\/([a-z0-9-]+)$/.exec(frame.path?.split("?")[0] ?? "");
    const item = match === null ? undefined : stock.get(match[1]!);
    if (item === undefined) return { status: 404, body: { code: 5, message: `no stock item at ${frame.path}`, details: [] } };
    if (frame.method === "GET") return { status: 200, body: item };
    const delta = frame.body?.delta;
    if (frame.method !== "POST" || typeof delta !== "number" || !Number.isInteger(delta)) {
      return { status: 400, body: { code: 3, message: 'POST a body like {"delta": -1}', details: [] } };
    }
    if (item.quantity + delta < 0) return { status: 409, body: { code: 10, message: `only ${item.quantity} of ${item.sku} left`, details: [] } };
    item.quantity += delta;
    return { status: 200, body: item };
  };
  const serve = (socket: Socket) => {
    const reader = new FrameReader("ndjson", 64 * 1024);
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      let lines: Buffer[];
      try {
        lines = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const line of lines) {
        let frame: RequestFrame;
        try {
          frame = JSON.parse(line.toString()) as RequestFrame;
        } catch {
          socket.write(`${JSON.stringify({ id: "", status: 400, body: { code: 3, message: "not a JSON frame", details: [] } })}\n`);
          continue;
        }
        if (frame.method === undefined) continue; // cancel and other control frames: nothing to stop here
        const { status, body } = answer(frame);
        socket.write(`${JSON.stringify({ id: frame.id, status, headers: { "content-type": "application/json" }, body })}\n`);
      }
    });
  };
  const server = createServer(serve);
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address() as { port: number };
  return { server, target: `${host}:${address.port}` };
}
