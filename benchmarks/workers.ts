import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMicros, median, runLoad, startProcess, type LoadResult } from "./harness.js";

const bin = fileURLToPath(new URL("../../bin/rosetta.js", import.meta.url));

/** `rosetta start -c FILE` as an operator runs it, with the port and the pids (supervisor and workers) read from its log. */
interface Started {
  readonly port: number;
  readonly pids: () => number[];
  stop(): Promise<void>;
}

async function startCli(workers: number, upstream: string): Promise<Started> {
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-bench-workers-")), "gateway.yaml");
  // The same routes and filters as benchmarks/processes/rosetta.ts, as a file.
  writeFileSync(
    file,
    `workers: ${workers}
listeners: [ { name: web, protocol: http, host: 127.0.0.1, port: 0, keepAliveTimeout: 60s } ]
services: { orders: { protocol: http, targets: ["${upstream}"] } }
filters:
  - request-id
  - request-headers: { set: { x-gateway: rosetta }, remove: [ x-debug ] }
  - response-headers: { set: { x-served-by: rosetta } }
routes:
  - { id: list, match: { path: /api/orders, methods: [GET] }, upstream: { service: orders, path: /v2/orders } }
  - { id: delete, match: { path: "/api/orders/{id}", methods: [DELETE] }, upstream: { service: orders, path: "/v2/orders/{id}" } }
  - id: get
    match: { path: "/api/orders/{id}", methods: [GET] }
    filters: [ { response-headers: { remove: [ x-powered-by ] } } ]
    upstream: { service: orders, path: "/v2/orders/{id}" }
  - { id: other, match: { path: "/api/{rest=**}" }, upstream: { service: orders } }
`,
  );
  const child: ChildProcess = spawn(process.execPath, [bin, "start", "-c", file], { stdio: ["ignore", "ignore", "pipe"] });
  const workerPids = new Map<number, number>();
  let pending = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`rosetta (workers: ${workers}) exited with ${code} before it was ready`)));
    child.stderr!.on("data", (chunk: Buffer) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const text of lines) {
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          process.stderr.write(`${text}\n`);
          continue;
        }
        if (line.msg === "worker started") workerPids.set(line.worker as number, line.pid as number);
        if (workers === 1 && line.msg === "listening") resolve(line.port as number);
        if (workers > 1 && line.msg === "all workers ready") resolve((line.listeners as { port: number }[])[0]!.port);
      }
    });
  });
  return {
    port,
    pids: () => [child.pid!, ...workerPids.values()],
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/**
 * `--only workers`: the same Rosetta config started by the CLI with
 * `workers: 1` and `workers: 2`, HTTP→HTTP, measured in alternating rounds.
 * CPU is charged over every process of the group (supervisor and workers).
 */
export async function benchWorkers(connections: number, seconds: number, rounds: number, upstreamScript: string): Promise<string> {
  const upstream = await startProcess("upstream", upstreamScript);
  const origin = `http://127.0.0.1:${upstream.port}`;
  const targets = [
    { name: "workers: 1", started: await startCli(1, origin) },
    { name: "workers: 2", started: await startCli(2, origin) },
  ];
  const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  for (const target of targets) await runLoad(`http://127.0.0.1:${target.started.port}/api/orders/1`, 2, connections);
  const runs = new Map<string, Array<LoadResult & { cpu: number }>>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
      const pids = target.started.pids();
      const before = cpuOf(pids);
      const load = await runLoad(`http://127.0.0.1:${target.started.port}/api/orders/1`, seconds, connections);
      const cpu = (cpuOf(pids) - before) / load.requests;
      runs.get(target.name)!.push({ ...load, cpu });
      process.stderr.write(`round ${round + 1} ${target.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${cpu.toFixed(1)} µs CPU/req${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`);
    }
  }
  await Promise.all([...targets.map((target) => target.started.stop()), upstream.stop()]);
  const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
  const lines = ["| Rosetta HTTP→HTTP | requests/s | p50 ms | p99 ms | CPU µs/request (all processes) |", "|---|---:|---:|---:|---:|"];
  for (const target of targets) {
    const list = runs.get(target.name)!;
    lines.push(
      `| ${target.name} | ${fixed(median(list.map((run) => run.requestsPerSecond)))} | ${fixed(median(list.map((run) => run.p50Ms)), 2)} | ${fixed(median(list.map((run) => run.p99Ms)), 2)} | ${fixed(median(list.map((run) => run.cpu)), 1)} |`,
    );
  }
  const [one, two] = targets.map((target) => runs.get(target.name)!);
  const ratio = median(two!.map((run, index) => run.requestsPerSecond / one![index]!.requestsPerSecond));
  return `\nworkers, 1 load thread × ${connections} connections, median of ${rounds} rounds × ${seconds}s\n\n${lines.join("\n")}\n\nworkers: 2 serves ${fixed(ratio, 2)}× the requests/s of workers: 1 (median of per-round ratios)\n`;
}
