import type { Server } from "node:http";
import { startBookstoreService } from "./bookstore-service.js";
import { startInventoryService } from "./inventory-service.js";
import { startOrdersService } from "./orders-service.js";

export interface Demo {
  /** The config document, in the same shape a gateway.yaml has. */
  readonly config: unknown;
  /** Copy-paste commands for the README-style banner. */
  examples(gatewayUrl: string, tcpFramesPort: number): string[];
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
  const inventory = await startInventoryService();
  const servers: Server[] = [orders.server];
  const config = {
    // WebSocket frames on the same port (upgrade on /ws); TCP frames on the next one.
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port, websocket: { path: "/ws" } },
      { name: "frames", protocol: "tcp", host: "127.0.0.1", port: port === 0 ? 0 : port + 1 },
    ],
    services: {
      orders: { protocol: "http", targets: [orders.origin], timeout: "2s" },
      // Annotated gRPC methods become REST routes by themselves (google.api.http).
      bookstore: { protocol: "grpc", targets: [bookstore.target], protos: ["rosetta/demo/v1/bookstore.proto"], timeout: "5s", successStatus: { CreateShelf: 201 }, soap: { path: "/soap" } },
      // A framed TCP service (NDJSON), reachable as REST, XML, WebSocket and TCP frames.
      inventory: { protocol: "tcp", targets: [inventory.target], framing: "ndjson", timeout: "2s" },
    },
    filters: ["request-id", { "response-headers": { set: { "x-served-by": "rosetta" } } }],
    routes: [
      { id: "get-order", match: { path: "/api/orders/{id}", methods: ["GET"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } },
      { id: "delete-order", match: { path: "/api/orders/{id}", methods: ["DELETE"] }, upstream: { service: "orders", path: "/v2/orders/{id}" } },
      { id: "list-orders", match: { path: "/api/orders", methods: ["GET", "POST"] }, upstream: { service: "orders", path: "/v2/orders" } },
      { id: "stock", match: { path: "/v1/stock/{sku}", methods: ["GET", "POST"] }, upstream: { service: "inventory", path: "/stock/{sku}" } },
      { id: "echo", match: { path: "/api/echo/{rest=**}" }, upstream: { service: "orders", path: "/v2/echo/{rest=**}" } },
    ],
    // Served at /openapi.json (and ?format=yaml): every route whose bodies are proto messages.
    openapi: { title: "Rosetta demo", version: "1.0.0", description: "The demo's gRPC bookstore as REST, generated live from its protos and routes." },
  };
  return {
    config,
    examples: (url, tcpFramesPort) => [
      `curl -s ${url}/openapi.json            # the OpenAPI 3.1 document of these routes (?format=yaml for YAML)`,
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
      "",
      "# The same services in XML, typed from the protos, and as SOAP 1.1/1.2 with a generated WSDL:",
      `curl -s ${url}/v1/shelves/1 -H 'accept: application/xml'`,
      `curl -s -X POST ${url}/v1/shelves -H 'content-type: application/xml' -d '<Shelf><theme>Maps</theme></Shelf>'`,
      `curl -s '${url}/soap/rosetta.demo.v1.Bookstore?wsdl'`,
      `curl -s ${url}/soap/rosetta.demo.v1.Bookstore -H 'content-type: text/xml' -H 'SOAPAction: "urn:rosetta.demo.v1.Bookstore/GetShelf"' -d '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetShelf><shelf>1</shelf></GetShelf></s:Body></s:Envelope>'`,
      `curl -s ${url}/soap/rosetta.demo.v1.Bookstore -H 'content-type: application/soap+xml' -d '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><GetShelf><shelf>99</shelf></GetShelf></e:Body></e:Envelope>'   # a SOAP 1.2 Fault`,
      `curl -s ${url}/api/orders/1 -H 'accept: application/xml'   # an HTTP/JSON upstream answered in XML`,
      "",
      "# A TCP service (NDJSON frames) as REST, XML, and the same routes as frames over WebSocket and TCP:",
      `curl -s ${url}/v1/stock/dune`,
      `curl -s -X POST ${url}/v1/stock/dune -H 'content-type: application/json' -d '{"delta":-1}'`,
      `curl -s ${url}/v1/stock/dune -H 'accept: application/xml'`,
      // The flag turns on Node 20's built-in WebSocket; Node 22 and 24 accept it as a no-op.
      `node --experimental-websocket -e "const w=new WebSocket('${url.replace("http", "ws")}/ws');w.onopen=()=>w.send(JSON.stringify({id:'1',method:'GET',path:'/v1/shelves/1'}));w.onmessage=(m)=>{console.log(m.data);w.close()}"`,
      `node -e "const s=require('net').connect(${tcpFramesPort},'127.0.0.1',()=>s.write(JSON.stringify({id:'1',method:'GET',path:'/v1/stock/earthsea'})+'\\n'));s.on('data',(d)=>{process.stdout.write(d);s.end()})"`,
      `printf '%s\\n' '{"id":"1","method":"GET","path":"/v1/stock/earthsea"}' | nc -N 127.0.0.1 ${tcpFramesPort}   # nc: Debian package netcat-openbsd`,
    ],
    stop: async () => {
      inventory.server.close();
      await Promise.all([...servers.map((server) => new Promise((resolve) => server.close(resolve))), bookstore.stop()]);
    },
  };
}
