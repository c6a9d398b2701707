import { request } from "undici";
import { startGateway } from "../../helpers/gateway.js";

/**
 * A gateway with health-checked http, tcp and grpc services (targets given
 * by the parent), which serves one call and stops: the process must then
 * exit by itself, so no check timer or probe connection outlives the stop.
 */
const [httpOrigin, tcpTarget, grpcTarget] = process.argv.slice(2);
const healthCheck = { interval: "20ms", timeout: "1s", healthyThreshold: 1, unhealthyThreshold: 1 };
const gateway = await startGateway({
  protos: { include: ["test/protos"] },
  services: {
    web: { protocol: "http", targets: [httpOrigin], healthCheck },
    stock: { protocol: "tcp", targets: [tcpTarget], healthCheck },
    library: { protocol: "grpc", targets: [grpcTarget], protos: ["rosetta/test/v1/library.proto"], healthCheck },
  },
  routes: [{ id: "web", match: { path: "/web" }, upstream: { service: "web" } }],
});
// Long enough for several rounds of checks on every service.
await new Promise((resolve) => setTimeout(resolve, 300));
const response = await request(`${gateway.url}/web`);
await response.body.dump();
await gateway.stop();
process.stdout.write(`stopped ${response.statusCode}`);
