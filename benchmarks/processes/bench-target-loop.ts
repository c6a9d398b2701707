import type { BenchTargetFactory } from "../../src/bench/bench-target.js";
import { grpcTargetFactory } from "../../src/bench/targets/grpc-target.js";
import { tcpTargetFactory } from "../../src/bench/targets/tcp-target.js";
import { udpTargetFactory } from "../../src/bench/targets/udp-target.js";
import { wsTargetFactory } from "../../src/bench/targets/ws-target.js";

/**
 * A `rosetta bench` target driven on its own, the way the client loops
 * drive their peers: ONE connection with `concurrency` requests in flight
 * for `seconds`. Args: protocol url seconds concurrency [frame path] [body].
 * Prints the client loops' JSON line (requests, rate, p50/p99, errors, its
 * own CPU per request), so the generator's cost compares with theirs.
 */
const [protocol, url, secondsText, concurrencyText, path, body] = process.argv.slice(2) as [string, string, string, string, string | undefined, string | undefined];
const factories: Record<string, BenchTargetFactory> = { grpc: grpcTargetFactory, ws: wsTargetFactory, tcp: tcpTargetFactory, udp: udpTargetFactory };
const factory = factories[protocol];
if (factory === undefined) throw new Error(`unknown protocol ${protocol}`);
const seconds = Number(secondsText);
const concurrency = Number(concurrencyText);
const target = await factory.create({
  protocol: factory.protocol,
  url,
  method: "GET",
  ...(path === undefined || path === "" ? {} : { path }),
  headers: {},
  body: body ?? "",
  protoFiles: protocol === "grpc" ? ["rosetta/demo/v1/bookstore.proto"] : [],
  importPaths: [],
  timeoutMs: 5000,
  pipelining: 1,
  inFlightPerConnection: concurrency,
});
const connection = await target.connect();
const latencies: number[] = [];
let errors = 0;
let running = true;
let sequence = 0;

function issue(): void {
  const started = process.hrtime.bigint();
  connection.send(sequence++, (ok) => {
    if (ok) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    else errors++;
    if (running) issue();
  });
}

// Warm the connection, then measure.
await new Promise<void>((resolve) => {
  let left = 200;
  const warm = () => connection.send(sequence++, () => (--left === 0 ? resolve() : warm()));
  for (let i = 0; i < Math.min(concurrency, 200); i++) warm();
});
latencies.length = 0;
errors = 0;
const cpuBefore = process.cpuUsage();
const startedAt = Date.now();
for (let i = 0; i < concurrency; i++) issue();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
running = false;
const elapsed = (Date.now() - startedAt) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const finished = latencies.length;
latencies.sort((a, b) => a - b);
const at = (quantile: number) => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({ requests: finished, requestsPerSecond: finished / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), errors, cpuMicrosPerRequest: (cpu.user + cpu.system) / (finished + errors) })}\n`,
);
connection.close();
await target.close();
process.exit(0);
