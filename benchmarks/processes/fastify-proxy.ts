import Fastify from "fastify";
import proxy from "@fastify/http-proxy";

/** The peer: @fastify/http-proxy (undici underneath), rewriting /api/orders → /v2/orders like Rosetta's route. */
const upstream = process.argv[2]!;
const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
await app.register(proxy, { upstream, prefix: "/api/orders", rewritePrefix: "/v2/orders" });
await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
