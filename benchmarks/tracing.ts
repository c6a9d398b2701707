import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMicros, median, runLoad, startProcess, type BenchProcess } from "./harness.js";

/**
 * What the access log and tracing cost per request: the same HTTP→HTTP route
 * in four Rosetta processes — nothing observed, the access log to a file
 * (every success sampled away, then every line written),
 * tracing at sample 1 exporting to a local OTLP sink — measured in
 * alternating rounds; CPU µs per request of each Rosetta process.
 */
export async function benchTracing(script: (name: string) => string, seconds: number, rounds: number, connections: number): Promise<string[]> {
  const folder = mkdtempSync(join(tmpdir(), "rosetta-bench-log-"));
  const logFile = join(folder, "access.log");
  const upstream = await startProcess("upstream", script("upstream"));
  const sink = await startProcess("otlp-sink", script("otlp-sink"));
  const origin = `http://127.0.0.1:${upstream.port}`;
  const targets: { name: string; process: BenchProcess }[] = [
    { name: "off", process: await startProcess("rosetta-off", script("rosetta-observed"), [origin, "off"]) },
    {
      name: "access log to a file, sample 0 (ids, records, traceparent upstream; no lines)",
      process: await startProcess("rosetta-access-log-0", script("rosetta-observed"), [origin, "access-log-sample-0", join(folder, "unsampled.log")]),
    },
    { name: "access log to a file, sample 1", process: await startProcess("rosetta-access-log", script("rosetta-observed"), [origin, "access-log", logFile]) },
    {
      name: "tracing, sample 1 (OTLP/HTTP JSON to a local sink)",
      process: await startProcess("rosetta-tracing", script("rosetta-observed"), [origin, "tracing", `http://127.0.0.1:${sink.port}/v1/traces`]),
    },
  ];
  const url = (target: { process: BenchProcess }) => `http://127.0.0.1:${target.process.port}/api/orders/1`;
  for (const target of targets) await runLoad(url(target), 2, connections);
  const runs = new Map<string, { rps: number; cpu: number; p99: number }[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const before = cpuMicros(target.process.pid);
      const load = await runLoad(url(target), seconds, connections);
      const cpu = (cpuMicros(target.process.pid) - before) / load.requests;
      runs.get(target.name)!.push({ rps: load.requestsPerSecond, cpu, p99: load.p99Ms });
      process.stderr.write(`round ${round + 1} ${target.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${cpu.toFixed(1)} µs CPU/req${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`);
    }
  }
  const logBytes = statSync(logFile).size;
  await Promise.all([...targets.map((target) => target.process.stop()), upstream.stop(), sink.stop()]);
  rmSync(folder, { recursive: true, force: true });
  const offCpu = median(runs.get("off")!.map((run) => run.cpu));
  const lines = ["| Rosetta with | requests/s | p99 ms | CPU µs/request | + µs/request over off |", "|---|---:|---:|---:|---:|"];
  for (const target of targets) {
    const list = runs.get(target.name)!;
    const cpu = median(list.map((run) => run.cpu));
    lines.push(
      `| ${target.name} | ${median(list.map((run) => run.rps)).toFixed(0)} | ${median(list.map((run) => run.p99)).toFixed(2)} | ${cpu.toFixed(1)} | ${target.name === "off" ? "—" : (cpu - offCpu).toFixed(1)} |`,
    );
  }
  lines.push("", `(access log written: ${(logBytes / 1e6).toFixed(1)} MB)`);
  return lines;
}
