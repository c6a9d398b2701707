import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMicros, median, runLoad, startProcess, fixedRequest, type LoadResult } from "./harness.js";

interface Run extends LoadResult {
  readonly cpuMicrosPerRequest: number;
  readonly redisMicrosPerRequest: number;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** A redis-server without persistence on a free port; resolves once it accepts connections. */
async function startRedis(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  child.stdout!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The cost of policies (issue 12): CPU µs per request of the Rosetta process
 * for HTTP→HTTP with no filters, next to cors + rate-limit (memory, then
 * Redis), and the same with api-key in front — one process, one run, the
 * targets alternating within each round. Every request carries an allowed
 * Origin and a valid API key, whichever route it goes to. For the Redis rows
 * the redis-server's own CPU per request is shown beside.
 */
export async function benchPolicies(script: (name: string) => string, seconds: number, rounds: number, connections: number): Promise<string[]> {
  const redis = await startRedis();
  const upstream = await startProcess("upstream", script("upstream"));
  const rosetta = await startProcess("rosetta-policies", script("rosetta-policies"), [`http://127.0.0.1:${upstream.port}`, redis.url]);
  const directory = mkdtempSync(join(tmpdir(), "rosetta-policies-"));
  const request = fixedRequest(directory, "policies", "GET", "", { origin: "https://app.example.com", "x-api-key": "bench-key-0123456789" });
  const targets = [
    { name: "no filters", path: "/none/x" },
    { name: "cors + rate-limit (memory)", path: "/memory/x" },
    { name: "cors + rate-limit (redis)", path: "/redis/x" },
    { name: "cors + api-key + rate-limit (memory, by consumer)", path: "/auth-memory/x" },
    { name: "cors + api-key + rate-limit (redis, by consumer)", path: "/auth-redis/x" },
  ];
  const results = new Map<string, Run[]>(targets.map((target) => [target.name, []]));
  try {
    for (const target of targets) await runLoad(`http://127.0.0.1:${rosetta.port}${target.path}`, 2, connections, request); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const [before, redisBefore] = [cpuMicros(rosetta.pid), cpuMicros(redis.pid)];
        const load = await runLoad(`http://127.0.0.1:${rosetta.port}${target.path}`, seconds, connections, request);
        const run: Run = { ...load, cpuMicrosPerRequest: (cpuMicros(rosetta.pid) - before) / load.requests, redisMicrosPerRequest: (cpuMicros(redis.pid) - redisBefore) / load.requests };
        results.get(target.name)!.push(run);
        process.stderr.write(
          `round ${round + 1} ${target.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/req${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`,
        );
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
    await Promise.all([rosetta.stop(), upstream.stop()]);
    await redis.stop();
  }
  const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
  const baseline = median(results.get(targets[0]!.name)!.map((run) => run.cpuMicrosPerRequest));
  const lines = ["| policies | requests/s | p50 ms | p99 ms | Rosetta CPU µs/request | + µs vs none | redis-server CPU µs/request | errors |", "|---|---:|---:|---:|---:|---:|---:|---:|"];
  for (const target of targets) {
    const runs = results.get(target.name)!;
    const cpu = median(runs.map((run) => run.cpuMicrosPerRequest));
    const redisCpu = target.path.includes("redis") ? fixed(median(runs.map((run) => run.redisMicrosPerRequest)), 1) : "–";
    lines.push(
      `| ${target.name} | ${fixed(median(runs.map((run) => run.requestsPerSecond)))} | ${fixed(median(runs.map((run) => run.p50Ms)), 2)} | ${fixed(median(runs.map((run) => run.p99Ms)), 2)} | ${fixed(cpu, 1)} | ${target === targets[0] ? "–" : `+${fixed(cpu - baseline, 1)}`} | ${redisCpu} | ${runs.reduce((sum, run) => sum + run.errors, 0)} |`,
    );
  }
  return lines;
}
