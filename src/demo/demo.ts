import type { Server } from "node:http";
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
  const servers: Server[] = [orders.server];
  const config = {
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port }],
    services: { orders: { protocol: "http", targets: [orders.origin], timeout: "2s" } },
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
    ],
    stop: async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
