import type { Server } from "node:http";
import { startBookstoreService } from "./bookstore-service.js";
import { startOrdersService } from "./orders-service.js";

export interface Demo {
  /** The config document, in the same shape a gateway.yaml has. */
  readonly config: unknown;
  /** Copy-paste commands for the README-style banner. */
  examples(gatewayUrl: string): string[];
  stop(): Promise<void>;
}

/**
 * The embedded demo: in-process upstreams on 127.0.0.1 and routes that show
 * each translation path. The config goes through the same validation as a
 * user's file.
 */
export async function startDemo(port: number): Promise<Demo> {
  const orders = await startOrdersService();
  const bookstore = await startBookstoreService();
  const servers: Server[] = [orders.server];
  const config = {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port }],
    services: {
      orders: { protocol: "http", targets: [orders.origin], timeout: "2s" },
      // Annotated gRPC methods become REST routes by themselves (google.api.http).
      bookstore: { protocol: "grpc", targets: [bookstore.target], protos: ["rosetta/demo/v1/bookstore.proto"], timeout: "5s", successStatus: { CreateShelf: 201 } },
    },
    filters: ["request-id", { "response-headers": { set: { "x-served-by": "rosetta" } } }],
    routes: [
      { id: "get-order", match: { path: "/api/orders/{id}", methods: ["GET"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } },
      { id: "delete-order", match: { path: "/api/orders/{id}", methods: ["DELETE"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } },
      { id: "list-orders", match: { path: "/api/orders", methods: ["GET", "POST"] }, upstream: { service: "orders", path: "/v2/orders" } },
      { id: "echo", match: { path: "/api/echo/{rest=**}" }, upstream: { service: "orders", path: "/v2/echo/{rest=**}" } },
    ],
  };
  return {
    config,
    examples: (url) => [
      `curl -s ${url}/api/orders/1`,
      `curl -s '${url}/api/orders?status=open'`,
      `curl -s -X POST ${url}/api/orders -H 'content-type: application/json' -d '{"item":"Dune","quantity":1}'`,
      `curl -s -X POST ${url}/api/echo/anything -H 'x-request-id: my-id-1' -H 'connection: x-secret' -H 'x-secret: dropped' -d '{"a":1}'`,
      `curl -si ${url}/api/orders/99          # 404 from the upstream, passed through`,
      `curl -si -X PUT ${url}/api/orders/1    # 405 with Allow, from the router`,
      `curl -si ${url}/nowhere                # 404 in the google.rpc.Status shape`,
      "",
      "# gRPC behind REST/JSON (google.api.http annotations, no routes written):",
      `curl -s ${url}/v1/shelves`,
      `curl -s '${url}/v1/shelves/1/books?genre=GENRE_FICTION'`,
      `curl -s -X POST ${url}/v1/shelves -H 'content-type: application/json' -d '{"theme":"Mystery"}'   # 201`,
      `curl -si ${url}/v1/shelves/99           # gRPC NOT_FOUND → 404`,
      `curl -sN ${url}/v1/shelves/1:watch      # server streaming as NDJSON`,
      `curl -sN ${url}/v1/shelves/1:watch -H 'accept: text/event-stream'   # … or as SSE`,
    ],
    stop: async () => {
      await Promise.all([...servers.map((server) => new Promise((resolve) => server.close(resolve))), bookstore.stop()]);
    },
  };
}
