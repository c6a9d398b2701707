import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchReport } from "../src/bench/bench-report.js";
import { hasWrk, median, startProcess, type BenchProcess } from "./harness.js";

/**
 * `rosetta bench` measured against its anchors, each tool as its own process
 * pinned to core 0 (taskset -c 0) and the upstream pinned to core 1, tools
 * in rotating order within each round:
 * - generator: the most requests/s one core drives against a fast upstream
 *   (benchmarks/processes/fast-upstream.ts), next to autocannon and wrk; and
 *   the generator's own CPU per request (its /proc time over the requests the
 *   upstream counted), which is what capacity is once the upstream saturates;
 * - accuracy: an upstream answering after exactly 10 ms at a fixed rate, then
 *   with a 1-second stall injected mid-run;
 * - rate: open loop at fixed rates, the achieved rate.
 */
const bin = fileURLToPath(new URL("../../bin/rosetta.js", import.meta.url));
const autocannon = createRequire(import.meta.url).resolve("autocannon/autocannon.js");
const script = (name: string) => fileURLToPath(new URL(`./processes/${name}.js`, import.meta.url));
const pinned = cpus().length >= 2;
const fixed = (value: number | undefined, digits = 0) => (value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : "n/a");
const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

interface ToolRun {
  readonly output: string;
  /** With a window: the tool's CPU (all its threads) between the window's two readings. */
  readonly windowCpuMicros?: number;
}

/** Whole-process CPU (all threads) so far, from /proc/PID/stat. */
function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
}

/**
 * Runs `command` on core 0 (taskset execs it, so the child is the tool) and returns its stdout; with `window`, also
 * calls `window.mark` and reads the tool's CPU at `from` and `to` ms after the start, so its start-up and ending are
 * left out of its CPU per request.
 */
function runPinned(command: readonly string[], whileRunning?: () => void, window?: { from: number; to: number; mark: () => Promise<void> }): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = pinned ? ["taskset", "-c", "0", ...command] : command;
    const child = spawn(program!, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, FORCE_COLOR: "0" } });
    let output = "";
    const readings: number[] = [];
    const read = async () => {
      await window?.mark();
      if (child.pid !== undefined && child.exitCode === null) readings.push(processCpuMicros(child.pid));
    };
    const timers = window === undefined ? [] : [setTimeout(() => void read(), window.from), setTimeout(() => void read(), window.to)];
    child.stdout.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    whileRunning?.();
    child.on("close", () => {
      for (const timer of timers) clearTimeout(timer);
      const [first, second] = readings;
      resolve({ output, ...(first !== undefined && second !== undefined ? { windowCpuMicros: second - first } : {}) });
    });
  });
}

function pin(process: BenchProcess, core: number): void {
  if (pinned) spawnSync("taskset", ["-p", "-c", String(core), String(process.pid)]);
}

async function upstreamCount(process: BenchProcess): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${process.info.controlPort}/count`);
  return ((await response.json()) as { requests: number }).requests;
}

interface Measured {
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Open loop: from when each request was sent. */
  readonly uncorrected?: { readonly p50: number; readonly p99: number };
}

type Tool = (url: string, seconds: number, connections: number, directory: string) => { command: string[]; parse: (output: string) => Measured };

const tools: Readonly<Record<string, Tool>> = {
  "rosetta bench": (url, seconds, connections, directory) => {
    const file = join(directory, `report-${Date.now()}.json`);
    return {
      command: [process.execPath, bin, "bench", url, "-c", String(connections), "-d", `${seconds}s`, "-w", "0", "--workers", "1", "--json", file],
      parse: () => fromReport(JSON.parse(readFileSync(file, "utf8")) as BenchReport),
    };
  },
  autocannon: (url, seconds, connections) => ({
    command: [process.execPath, autocannon, "-c", String(connections), "-d", String(seconds), "--json", url],
    parse: (output) => {
      const result = JSON.parse(output.slice(output.indexOf("{"))) as { requests: { total: number }; duration: number; latency: Record<string, number> };
      const latency = (key: string) => result.latency[key] ?? Number.NaN;
      return { rps: result.requests.total / result.duration, p50: latency("p50"), p90: latency("p90"), p99: latency("p99"), p999: latency("p99_9"), max: latency("max") };
    },
  }),
  "wrk -t1": (url, seconds, connections) => ({
    command: ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url],
    parse: (output) => {
      const latency = (label: string) => {
        const match = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(output);
        if (match === null) return Number.NaN;
        const value = Number(match[1]);
        return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
      };
      const max = /Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(output);
      const maxMs = max === null ? Number.NaN : Number(max[1]) * (max[2] === "us" ? 0.001 : max[2] === "s" ? 1000 : 1);
      return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN), p50: latency("50"), p90: latency("90"), p99: latency("99"), p999: Number.NaN, max: maxMs };
    },
  }),
};

function fromReport(report: BenchReport): Measured {
  const target = report.targets[0];
  if (target === undefined) throw new Error("empty report");
  const { p50, p90, p99, p999, max } = target.latencyMs;
  return {
    rps: target.rps,
    p50,
    p90,
    p99,
    p999,
    max,
    ...(target.uncorrectedLatencyMs === undefined ? {} : { uncorrected: { p50: target.uncorrectedLatencyMs.p50, p99: target.uncorrectedLatencyMs.p99 } }),
  };
}

const pinning = () => (pinned ? "generator pinned to core 0 (taskset -c 0), upstream to core 1" : "one core: generator and upstream share it");

/** (a) Generator capacity from one core. */
export async function benchGenerator(rounds: number, requestedSeconds: number, connections: number): Promise<string> {
  // Long enough for a CPU window that leaves out start-up and the end.
  const seconds = Math.max(requestedSeconds, 6);
  const names = Object.keys(tools).filter((name) => name !== "wrk -t1" || hasWrk());
  const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-generator-"));
  const upstream = await startProcess("fast-upstream", script("fast-upstream"));
  pin(upstream, 1);
  const url = `http://127.0.0.1:${upstream.port}/`;
  const runs = new Map<string, Array<{ rps: number; cpu: number }>>(names.map((name) => [name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so that drift in the machine's load does not favour one tool.
      const order = names.map((_, index) => names[(index + round) % names.length]!);
      for (const name of order) {
        const tool = tools[name]!(url, seconds, connections, directory);
        // CPU per request over the middle of the run: from 2 s in (every tool has started) to 0.5 s before the end.
        const counts: number[] = [];
        const run = await runPinned(tool.command, undefined, { from: 2000, to: seconds * 1000 - 500, mark: async () => void counts.push(await upstreamCount(upstream)) });
        const seen = (counts[1] ?? Number.NaN) - (counts[0] ?? Number.NaN);
        const cpu = (run.windowCpuMicros ?? Number.NaN) / seen;
        const measured = tool.parse(run.output);
        runs.get(name)!.push({ rps: measured.rps, cpu });
        process.stderr.write(`generator round ${round + 1} ${name}: ${fixed(measured.rps)} req/s, ${fixed(cpu, 2)} µs CPU per request (${seen} requests in the CPU window)\n`);
      }
    }
  } finally {
    await upstream.stop();
    rmSync(directory, { recursive: true, force: true });
  }
  const ours = runs.get("rosetta bench")!;
  const lines = ["| generator, one core | requests/s | generator CPU µs/request | rosetta bench ÷ this (req/s) | this ÷ rosetta bench (CPU/request) |", "|---|---:|---:|---:|---:|"];
  for (const name of names) {
    const list = runs.get(name)!;
    const rpsRatio = median(list.map((run, index) => ours[index]!.rps / run.rps));
    const cpuRatio = median(list.map((run, index) => run.cpu / ours[index]!.cpu));
    lines.push(`| ${name} | ${fixed(median(list.map((run) => run.rps)))} | ${fixed(median(list.map((run) => run.cpu)), 2)} | ${fixed(rpsRatio, 2)} | ${fixed(cpuRatio, 2)} |`);
  }
  return `\nGenerator capacity: ${connections} connections, closed loop, ${seconds}s per tool per round, ${rounds} rounds (tools in rotating order), medians and medians of per-round ratios; CPU per request: the tool's process (all threads) from 2 s after its start to 0.5 s before its end, over the requests the upstream counted meanwhile; ${pinning()}; upstream: raw TCP fixed response (fast-upstream)\n\n${lines.join("\n")}\n`;
}

/** (b) Latency accuracy against an upstream that answers after exactly 10 ms, without and with a 1-second stall. */
export async function benchAccuracy(rounds: number, seconds: number): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-accuracy-"));
  const upstream = await startProcess("timed-upstream", script("timed-upstream"), ["10"]);
  pin(upstream, 1);
  const url = `http://127.0.0.1:${upstream.port}/`;
  const rate = 200;
  // 2 connections × 1 / 10 ms ≈ 200 requests/s: the closed-loop tools run at about the open loop's rate.
  const closedConnections = 2;
  const cases: Array<{ name: string; command: () => { command: string[]; parse: (output: string) => Measured } }> = [
    {
      name: `rosetta bench --rate ${rate} (open loop)`,
      command: () => {
        const file = join(directory, `open-${Date.now()}.json`);
        return {
          command: [process.execPath, bin, "bench", url, "--rate", String(rate), "-c", "50", "-d", `${seconds}s`, "-w", "0", "--workers", "1", "--json", file],
          parse: () => fromReport(JSON.parse(readFileSync(file, "utf8")) as BenchReport),
        };
      },
    },
    { name: `rosetta bench -c ${closedConnections} (closed loop)`, command: () => tools["rosetta bench"]!(url, seconds, closedConnections, directory) },
    { name: `autocannon -c ${closedConnections}`, command: () => tools.autocannon!(url, seconds, closedConnections, directory) },
    ...(hasWrk() ? [{ name: `wrk -t1 -c${closedConnections}`, command: () => tools["wrk -t1"]!(url, seconds, closedConnections, directory) }] : []),
  ];
  const results = new Map<string, Measured[]>();
  const truths: Array<{ p50: number; p99: number }> = [];
  try {
    for (const stall of [false, true]) {
      for (let round = 0; round < rounds; round++) {
        for (const entry of cases) {
          const tool = entry.command();
          // The stall lands mid-window: tools start measuring within a second or two of being started.
          await fetch(`${url}truth`);
          const run = await runPinned(tool.command, stall ? () => setTimeout(() => void fetch(`${url}stall`), (seconds / 2) * 1000) : undefined);
          const measured = tool.parse(run.output);
          if (!stall) truths.push((await (await fetch(`${url}truth`)).json()) as { p50: number; p99: number });
          const key = `${stall}|${entry.name}`;
          (results.get(key) ?? results.set(key, []).get(key)!).push(measured);
          process.stderr.write(`accuracy${stall ? " (1 s stall)" : ""} ${entry.name}: p50 ${fixed(measured.p50, 2)} p99 ${fixed(measured.p99, 2)} max ${fixed(measured.max, 1)} ms\n`);
        }
      }
    }
  } finally {
    await upstream.stop();
    rmSync(directory, { recursive: true, force: true });
  }
  const medianOf = (list: Measured[], pick: (value: Measured) => number | undefined) => median(list.map((value) => pick(value) ?? Number.NaN));
  const truth = { p50: median(truths.map((value) => value.p50)), p99: median(truths.map((value) => value.p99)) };
  const table = (stall: boolean) => {
    const lines = ["| tool | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | p50 − truth | p99 − truth |", "|---|---:|---:|---:|---:|---:|---:|---:|"];
    if (!stall) lines.push(`| the truth: the upstream's own hold times (arrival → answer) | ${fixed(truth.p50, 2)} | | ${fixed(truth.p99, 2)} | | | | |`);
    for (const entry of cases) {
      const list = results.get(`${stall}|${entry.name}`) ?? [];
      const [p50, p99] = [medianOf(list, (value) => value.p50), medianOf(list, (value) => value.p99)];
      lines.push(
        `| ${entry.name} | ${fixed(p50, 2)} | ${fixed(
          medianOf(list, (value) => value.p90),
          2,
        )} | ${fixed(p99, 2)} | ${fixed(
          medianOf(list, (value) => value.p999),
          2,
        )} | ${fixed(
          medianOf(list, (value) => value.max),
          1,
        )} | ${stall ? "" : fixed(p50 - truth.p50, 2)} | ${stall ? "" : fixed(p99 - truth.p99, 2)} |`,
      );
      if (list[0]?.uncorrected !== undefined) {
        lines.push(
          `| ↳ same run, timed from the send | ${fixed(
            medianOf(list, (value) => value.uncorrected?.p50),
            2,
          )} | | ${fixed(
            medianOf(list, (value) => value.uncorrected?.p99),
            2,
          )} | | | | |`,
        );
      }
    }
    return lines.join("\n");
  };
  // A 1 s stall in a window of `seconds` at a fixed rate: the requests due during it wait 1000…0 ms (uniformly), so a
  // fraction 1/seconds of all requests is delayed, and the top 1 % of all waits ≈ 1000 × (1 − seconds/100) ms more.
  const expectedP99 = 10 + 1000 * (1 - seconds / 100);
  return (
    `\nAccuracy: upstream answers after 10 ms (timer + polled last stretch), ${seconds}s per run, median of ${rounds} rounds; ${pinning()}\n\n${table(false)}\n` +
    `\nThe same with a 1-second stall of the upstream mid-run (every answer held until it ends); at a fixed rate the truth is p99 ≈ ${fixed(expectedP99)} ms\n\n${table(true)}\n`
  );
}

/** (c) Open-loop rate accuracy: the rate achieved at fixed asked rates against the fast upstream. */
export async function benchRateAccuracy(rounds: number, seconds: number): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-rate-"));
  const upstream = await startProcess("fast-upstream", script("fast-upstream"));
  pin(upstream, 1);
  const url = `http://127.0.0.1:${upstream.port}/`;
  const rates = [1000, 5000, 10000];
  const lines = ["| asked req/s | achieved req/s (median) | error | upstream saw /s | slowest second | fastest second | send lag p99 ms |", "|---:|---:|---:|---:|---:|---:|---:|"];
  try {
    for (const rate of rates) {
      const runs: Array<{ rps: number; seen: number; slowest: number; fastest: number; lag: number }> = [];
      for (let round = 0; round < rounds; round++) {
        const file = join(directory, `rate-${rate}-${round}.json`);
        const before = await upstreamCount(upstream);
        await runPinned([process.execPath, bin, "bench", url, "--rate", String(rate), "-c", "50", "-d", `${seconds}s`, "-w", "0", "--workers", "1", "--json", file]);
        const seen = (await upstreamCount(upstream)) - before;
        const report = JSON.parse(readFileSync(file, "utf8")) as BenchReport;
        const target = report.targets[0]!;
        // Whole seconds only: the last one holds the drain.
        const seconds_ = target.timeline.slice(0, seconds).map((point) => point.requests);
        runs.push({
          rps: target.rps,
          seen: seen / seconds,
          slowest: Math.min(...seconds_),
          fastest: Math.max(...seconds_),
          lag: target.latencyMs.p99 - (target.uncorrectedLatencyMs?.p99 ?? Number.NaN),
        });
        process.stderr.write(`rate ${rate}: achieved ${fixed(target.rps)} req/s; seconds ${seconds_.join(" ")}\n`);
      }
      const achieved = median(runs.map((run) => run.rps));
      lines.push(
        `| ${rate} | ${fixed(achieved)} | ${fixed(((achieved - rate) / rate) * 100, 2)} % | ${fixed(median(runs.map((run) => run.seen)))} | ${fixed(median(runs.map((run) => run.slowest)))} | ${fixed(median(runs.map((run) => run.fastest)))} | ${fixed(median(runs.map((run) => run.lag)), 2)} |`,
      );
    }
  } finally {
    await upstream.stop();
    rmSync(directory, { recursive: true, force: true });
  }
  return `\nOpen-loop rate accuracy: rosetta bench --rate R -c 50 --workers 1, ${seconds}s, median of ${rounds} rounds; achieved = requests ÷ (window start to last answer); ${pinning()}\n\n${lines.join("\n")}\n`;
}
