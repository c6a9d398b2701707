import { Client, credentials } from "@grpc/grpc-js";

/**
 * The direct baseline: a @grpc/grpc-js client keeping `connections` calls in
 * flight for `seconds` against the upstream, with pre-encoded bytes (the
 * cheapest a Node client can be). Prints requests, rate, p50/p99 and its own
 * CPU per call.
 */
const [target, secondsText, concurrencyText] = process.argv.slice(2) as [string, string, string];
const seconds = Number(secondsText);
const concurrency = Number(concurrencyText);
const client = new Client(target, credentials.createInsecure());
const request = Buffer.from([0x08, 0x01]); // GetShelfRequest { shelf: 1 }
const identity = (bytes: Buffer) => bytes;
const latencies: number[] = [];
let errors = 0;
let running = true;

function callOnce(): Promise<void> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    client.makeUnaryRequest("/rosetta.demo.v1.Bookstore/GetShelf", identity, identity, request, { deadline: Date.now() + 5000 }, (error) => {
      if (error) errors++;
      else latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      resolve();
    });
  });
}

async function worker(): Promise<void> {
  while (running) await callOnce();
}

await Promise.all(Array.from({ length: 20 }, () => callOnce())); // warm the channel
latencies.length = 0;
const cpuBefore = process.cpuUsage();
const started = Date.now();
setTimeout(() => (running = false), seconds * 1000);
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const elapsed = (Date.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
latencies.sort((a, b) => a - b);
const at = (quantile: number) => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
    cpuMicrosPerRequest: (cpu.user + cpu.system) / latencies.length,
  })}\n`,
);
client.close();
