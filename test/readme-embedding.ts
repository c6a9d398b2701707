import { builtinPlugins, createGateway, options, type FilterFactory } from "rosetta-gateway";

// A filter of your own: stamps every response with the gateway's name.
const stamp: FilterFactory<{ readonly name: string }> = {
  name: "stamp",
  description: "adds x-gateway: <name> to every response",
  optionsSchema: options.object({ name: options.withDefault(options.string(), "rosetta", "the x-gateway value") }),
  create: ({ name }) => (next) => async (request) => {
    const response = await next(request);
    response.headers["x-gateway"] = name;
    return response;
  },
};

const plugins = builtinPlugins();
plugins.filters.register(stamp.name, stamp); // one line: `- stamp: { name: edge-1 }` is now valid config

const gateway = await createGateway({
  listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 8080 }],
  services: { orders: { protocol: "http", targets: ["http://127.0.0.1:7001"] } },
  filters: [{ stamp: { name: "edge-1" } }],
  routes: [{ id: "order", match: { path: "/api/orders/{id}" }, upstream: { service: "orders", path: "/v2/orders/{id}" } }],
}, { plugins });
await gateway.listen();
process.once("SIGTERM", () => void gateway.stop());
