import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";

interface Order {
  id: string;
  item: string;
  quantity: number;
  status: "open" | "shipped";
}

/**
 * The demo's HTTP/JSON upstream: a small in-memory orders API, plus an echo
 * endpoint that shows what the upstream received (headers after Rosetta's
 * hop-by-hop stripping and X-Forwarded-* rebuilding).
 */
export async function startOrdersService(host = "127.0.0.1"): Promise<{ server: Server; origin: string }> {
  const orders = new Map<string, Order>([
    ["1", { id: "1", item: "The Left Hand of Darkness", quantity: 1, status: "shipped" }],
    ["2", { id: "2", item: "A Wizard of Earthsea", quantity: 2, status: "open" }],
  ]);
  let nextId = 3;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://demo");
    const match = /^\/v2\/orders(?:\/([^/]+))?$/.exec(url.pathname);
    if (url.pathname.startsWith("/v2/echo")) {
      return void readJson(req).then((body) => send(res, 200, { method: req.method, path: url.pathname, query: url.search, headers: req.headers, body }));
    }
    if (match === null) return send(res, 404, { error: `no such resource ${url.pathname}` });
    const id = match[1];
    if (id === undefined && req.method === "GET") {
      const status = url.searchParams.get("status");
      return send(res, 200, { orders: [...orders.values()].filter((order) => status === null || order.status === status) });
    }
    if (id === undefined && req.method === "POST") {
      return void readJson(req).then((body) => {
        const input = body as Partial<Order> | undefined;
        if (typeof input?.item !== "string") return send(res, 400, { error: "item (a string) is required" });
        const order: Order = { id: String(nextId++), item: input.item, quantity: Number(input.quantity ?? 1), status: "open" };
        orders.set(order.id, order);
        send(res, 201, order);
      });
    }
    if (id !== undefined && req.method === "GET") {
      const order = orders.get(id);
      return order === undefined ? send(res, 404, { error: `order ${id} not found` }) : send(res, 200, order);
    }
    if (id !== undefined && req.method === "DELETE") {
      return orders.delete(id) ? send(res, 204, undefined) : send(res, 404, { error: `order ${id} not found` });
    }
    send(res, 405, { error: `${req.method} not supported` });
  });
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address() as { port: number };
  return { server, origin: `http://${host}:${address.port}` };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return Buffer.concat(chunks).toString("utf8");
  }
}
