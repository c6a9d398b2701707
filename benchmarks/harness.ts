import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { runBench } from "../src/bench/run-bench.js";

/** A benchmark process: spawned, asked for its port on its first stdout line, stopped with SIGTERM. */
export interface BenchProcess {
  readonly name: string;
  readonly port: number;
  /** Everything the process said on its first line (extra ports, say). */
  readonly info: Readonly<Record<string, unknown>>;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startProcess(name: string, script: string, args: readonly string[] = []): Promise<BenchProcess> {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
  const info = JSON.parse(firstLine) as { port: number };
  return {
    name,
    port: info.port,
    info,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU time (user + system) a process has used so far, in microseconds, from /proc. */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
}

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export function hasWrk(): boolean {
  return spawnSync("wrk", ["--version"]).error === undefined;
}

/** A request other than a plain GET: what the load engine sends, and a wrk Lua script saying the same for the cross-check. */
export interface LoadRequest {
  readonly method: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The wrk script file (for runWrkCrossCheck). */
  readonly wrkScript: string;
}

/** Describes one fixed request (method, body, headers); also writes it as a wrk Lua script in `directory`. */
export function fixedRequest(directory: string, name: string, method: string, body: string, headers: Readonly<Record<string, string>>): LoadRequest {
  const bodyFile = join(directory, `${name}.body`);
  writeFileSync(bodyFile, body);
  const lines = [`wrk.method = ${JSON.stringify(method)}`, `local file = io.open(${JSON.stringify(bodyFile)}, "rb")`, 'wrk.body = file:read("*a")', "file:close()"];
  for (const [header, value] of Object.entries(headers)) lines.push(`wrk.headers[${JSON.stringify(header)}] = ${JSON.stringify(value)}`);
  const scriptFile = join(directory, `${name}.lua`);
  writeFileSync(scriptFile, `${lines.join("\n")}\n`);
  return { method, body, headers, wrkScript: scriptFile };
}

/**
 * Load from `rosetta bench`'s engine (src/bench/), in this process: one
 * load-generating worker thread (as wrk -t1 was), `connections` connections,
 * closed loop, `seconds` measured; `timeoutSeconds` per request.
 */
export async function runLoad(url: string, seconds: number, connections: number, request?: LoadRequest, timeoutSeconds = 2): Promise<LoadResult> {
  const report = await runBench({
    targets: [
      {
        name: url,
        spec: {
          protocol: "http",
          url,
          method: request?.method ?? "GET",
          headers: request?.headers ?? {},
          body: request?.body ?? "",
          protoFiles: [],
          importPaths: [],
          timeoutMs: timeoutSeconds * 1000,
          pipelining: 1,
        },
      },
    ],
    load: { mode: "closed", connections, durationMs: seconds * 1000, warmupMs: 0, workers: 1, rounds: 1 },
  });
  const target = report.targets[0]!;
  return {
    requests: target.requests,
    requestsPerSecond: target.rps,
    p50Ms: target.latencyMs.p50,
    p99Ms: target.latencyMs.p99,
    errors: Object.values(target.errors).reduce((sum, count) => sum + count, 0),
  };
}

/** The optional cross-check: wrk (one thread) against `url`, its report parsed into the same shape. */
export function runWrkCrossCheck(url: string, seconds: number, connections: number, request?: LoadRequest, timeoutSeconds = 2): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const scripted = request === undefined ? [] : ["-s", request.wrkScript];
    const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, `--timeout`, `${timeoutSeconds}s`, "--latency", ...scripted, url], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", () => {
      const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? Number.NaN);
      const latency = (label: string) => {
        const match = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(output);
        if (match === null) return Number.NaN;
        const value = Number(match[1]);
        return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
      };
      const non2xx = number(/Non-2xx or 3xx responses: (\d+)/);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
      resolve({
        requests: number(/(\d+) requests in/),
        requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
        p50Ms: latency("50"),
        p99Ms: latency("99"),
        errors: (Number.isNaN(non2xx) ? 0 : non2xx) + (socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0)),
      });
    });
  });
}

export { median } from "../src/bench/run-bench.js";

/** What a direct client loop process reports about itself. */
export interface DirectLoop extends LoadResult {
  readonly cpuMicrosPerRequest: number;
}

/** Runs a client-loop script to completion and returns its one-line JSON report; `before`/`after` are extra arguments around seconds and concurrency. */
export function runClientLoop(script: string, target: string, seconds: number, concurrency: number, before: readonly string[] = [], after: readonly string[] = []): Promise<DirectLoop> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, target, ...before, String(seconds), String(concurrency), ...after], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(output) as DirectLoop) : reject(new Error(`client loop exited with ${code}`))));
  });
}
