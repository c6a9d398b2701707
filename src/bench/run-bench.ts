import { Worker } from "node:worker_threads";
import { benchReportVersion, type BenchReport, type RatioResult, type RoundResult, type TargetResult } from "./bench-report.js";
import type { BenchTargetSpec } from "./bench-target.js";
import { addEncoded, createLatencyHistogram, percentileCurve, summarize, type LatencyHistogram } from "./latency-histogram.js";
import type { CoordinatorMessage, LoadSettings, WorkerMessage, WorkerResult, WorkerTask } from "./load-plan.js";
import { processTreeCpuMicros } from "./process-cpu.js";

/**
 * The coordinator: for each round, each target in turn (A B A B … with two)
 * gets fresh worker threads that share out the connections, the rate and the
 * request count; their histograms, errors and timelines are added up per
 * round and per target; with a pid, the CPU that process tree used during
 * the measured window is divided by the requests.
 */
export interface BenchTargetPlan {
  readonly name: string;
  readonly spec: BenchTargetSpec;
  /** The process whose CPU (with its children) is charged to this target's requests. */
  readonly pid?: number;
}

export interface BenchPlan {
  readonly targets: readonly BenchTargetPlan[];
  readonly load: LoadSettings;
}

export interface BenchProgress {
  readonly target: string;
  readonly round: number;
  readonly rounds: number;
  readonly measuring: boolean;
  /** Seconds since this target's round started (warm-up included). */
  readonly seconds: number;
  readonly requests: number;
  readonly errors: number;
}

export interface BenchHooks {
  /** About four times a second while a round runs. */
  readonly progress?: (progress: BenchProgress) => void;
}

interface RoundOutcome {
  readonly requests: number;
  readonly bytes: number;
  readonly errors: Map<string, number>;
  readonly latency: LatencyHistogram;
  readonly uncorrected: LatencyHistogram | undefined;
  readonly timeline: Array<[number, number]>;
  readonly measuredMs: number;
  readonly cpuMicros: number | undefined;
  readonly nextSequence: number;
}

const workerScript = new URL("./load-worker.js", import.meta.url);

export async function runBench(plan: BenchPlan, hooks: BenchHooks = {}): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const { load } = plan;
  const outcomes = new Map<string, RoundOutcome[]>(plan.targets.map((target) => [target.name, []]));
  const rounds: RoundResult[] = [];
  const sequences = new Map<string, number>();
  for (let round = 1; round <= load.rounds; round++) {
    for (const target of plan.targets) {
      const outcome = await runRound(target, load, sequences.get(target.name) ?? 0, (progress) => hooks.progress?.({ ...progress, target: target.name, round, rounds: load.rounds }));
      sequences.set(target.name, outcome.nextSequence);
      outcomes.get(target.name)!.push(outcome);
      const summary = summarize(outcome.latency);
      rounds.push({
        round,
        target: target.name,
        requests: outcome.requests,
        rps: outcome.requests / (outcome.measuredMs / 1000),
        latencyMs: summary,
        ...(outcome.cpuMicros === undefined ? {} : { cpuUsPerRequest: outcome.cpuMicros / Math.max(1, outcome.requests) }),
      });
    }
  }
  const targets = plan.targets.map((target) => targetResult(target, outcomes.get(target.name)!));
  const settings: BenchReport["settings"] = {
    mode: load.mode,
    connections: load.connections,
    warmupSeconds: load.warmupMs / 1000,
    workers: load.workers,
    rounds: load.rounds,
    ...(load.rate === undefined ? {} : { rate: load.rate }),
    ...(load.durationMs === undefined ? {} : { durationSeconds: load.durationMs / 1000 }),
    ...(load.requests === undefined ? {} : { requests: load.requests }),
  };
  const first = plan.targets[0];
  const second = plan.targets[1];
  const ratios = first !== undefined && second !== undefined ? compareRounds(rounds, first.name, second.name) : undefined;
  return { version: benchReportVersion, startedAt, settings, targets, rounds, ...(ratios === undefined ? {} : { ratios }) };
}

function targetResult(target: BenchTargetPlan, outcomes: readonly RoundOutcome[]): TargetResult {
  const latency = createLatencyHistogram();
  const open = outcomes.some((outcome) => outcome.uncorrected !== undefined);
  const uncorrected = open ? createLatencyHistogram() : undefined;
  const errors: Record<string, number> = {};
  const timeline: Array<{ second: number; requests: number; errors: number }> = [];
  let requests = 0;
  let bytes = 0;
  let measuredMs = 0;
  let cpu: number | undefined = 0;
  for (const outcome of outcomes) {
    latency.add(outcome.latency);
    if (outcome.uncorrected !== undefined) uncorrected?.add(outcome.uncorrected);
    for (const [key, count] of outcome.errors) errors[key] = (errors[key] ?? 0) + count;
    // Rounds follow each other on the timeline.
    for (const [requestsInSecond, errorsInSecond] of outcome.timeline) timeline.push({ second: timeline.length, requests: requestsInSecond, errors: errorsInSecond });
    requests += outcome.requests;
    bytes += outcome.bytes;
    measuredMs += outcome.measuredMs;
    cpu = cpu === undefined || outcome.cpuMicros === undefined ? undefined : cpu + outcome.cpuMicros;
  }
  const result: TargetResult = {
    name: target.name,
    url: target.spec.url,
    protocol: target.spec.protocol,
    requests,
    rps: requests / (Math.max(1, measuredMs) / 1000),
    bytes,
    errors,
    latencyMs: summarize(latency),
    ...(uncorrected === undefined ? {} : { uncorrectedLatencyMs: summarize(uncorrected) }),
    latencyCurve: percentileCurve(latency),
    timeline,
    ...(target.pid === undefined || cpu === undefined ? {} : { cpuUsPerRequest: cpu / Math.max(1, requests) }),
  };
  latency.destroy();
  uncorrected?.destroy();
  for (const outcome of outcomes) {
    outcome.latency.destroy();
    outcome.uncorrected?.destroy();
  }
  return result;
}

/** The first target over the second, round by round, and the median of those ratios. */
function compareRounds(rounds: readonly RoundResult[], first: string, second: string): RatioResult[] {
  const a = rounds.filter((round) => round.target === first);
  const b = rounds.filter((round) => round.target === second);
  const figures: Array<[RatioResult["figure"], (round: RoundResult) => number | undefined]> = [
    ["rps", (round) => round.rps],
    ["cpuUsPerRequest", (round) => round.cpuUsPerRequest],
    ["p50", (round) => round.latencyMs.p50],
    ["p99", (round) => round.latencyMs.p99],
  ];
  const ratios: RatioResult[] = [];
  for (const [figure, value] of figures) {
    const perRound: number[] = [];
    for (let index = 0; index < Math.min(a.length, b.length); index++) {
      const [x, y] = [value(a[index]!), value(b[index]!)];
      if (x !== undefined && y !== undefined) perRound.push(y === 0 ? Number.NaN : x / y);
    }
    if (perRound.length > 0) ratios.push({ figure, perRound, median: median(perRound) });
  }
  return ratios;
}

/** The median (NaN of nothing); the benchmarks use it too. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/** Splits `total` into `parts` whole shares that differ by at most one. */
const share = (total: number, parts: number, index: number) => Math.floor(total / parts) + (index < total % parts ? 1 : 0);

async function runRound(target: BenchTargetPlan, load: LoadSettings, sequenceBase: number, progress: (progress: Omit<BenchProgress, "target" | "round" | "rounds">) => void): Promise<RoundOutcome> {
  const count = Math.max(1, Math.min(load.workers, load.connections, load.requests ?? Number.POSITIVE_INFINITY));
  const tasks: WorkerTask[] = Array.from({ length: count }, (_, index) => ({
    spec: target.spec,
    mode: load.mode,
    connections: share(load.connections, count, index),
    warmupMs: load.warmupMs,
    sequenceStart: sequenceBase + index,
    sequenceStride: count,
    ...(load.rate === undefined ? {} : { rate: load.rate / count }),
    ...(load.durationMs === undefined ? {} : { durationMs: load.durationMs }),
    ...(load.requests === undefined ? {} : { requests: share(load.requests, count, index) }),
  }));
  const workers = tasks.map((task) => new Worker(workerScript, { workerData: task }));
  const seen = workers.map(() => ({ requests: 0, errors: 0, measuring: false }));
  let failure: ((error: Error) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    failure = reject;
  });
  failed.catch(() => undefined);
  const awaited = <T>(promise: Promise<T>) => Promise.race([promise, failed]);
  const readies: Array<Promise<void>> = [];
  const results: Array<Promise<WorkerResult>> = [];
  workers.forEach((worker, index) => {
    let ready: () => void = () => undefined;
    let finished: (result: WorkerResult) => void = () => undefined;
    readies.push(new Promise((resolve) => (ready = resolve)));
    results.push(new Promise((resolve) => (finished = resolve)));
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") ready();
      else if (message.type === "progress") seen[index] = message;
      else if (message.type === "result") finished(message.result);
      else failure?.(new Error(`${target.name}: ${message.message}`));
    });
    worker.on("error", (error) => failure?.(new Error(`${target.name}: load worker failed: ${error.message}`)));
    worker.on("exit", (code) => code !== 0 && failure?.(new Error(`${target.name}: load worker exited with ${code}`)));
  });
  const timers: NodeJS.Timeout[] = [];
  try {
    await awaited(Promise.all(readies));
    const startedAt = performance.now();
    for (const worker of workers) worker.postMessage({ type: "start" } satisfies CoordinatorMessage);
    let cpuBefore: number | undefined;
    const sampleCpu = () => (target.pid === undefined ? undefined : processTreeCpuMicros(target.pid));
    if (load.warmupMs === 0) cpuBefore = sampleCpu();
    else timers.push(setTimeout(() => (cpuBefore = sampleCpu()), load.warmupMs));
    timers.push(
      setInterval(() => {
        const sum = seen.reduce((total, worker) => ({ requests: total.requests + worker.requests, errors: total.errors + worker.errors }), { requests: 0, errors: 0 });
        progress({ ...sum, measuring: seen.some((worker) => worker.measuring), seconds: (performance.now() - startedAt) / 1000 });
      }, 250),
    );
    const parts = await awaited(Promise.all(results));
    const cpuAfter = sampleCpu();
    return merge(parts, cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    for (const worker of workers) worker.removeAllListeners("exit");
    // Workers end by themselves once their target is closed; a stuck one is not waited for long.
    await Promise.all(workers.map((worker) => exited(worker)));
  }
}

function exited(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (worker.threadId === -1) resolve();
  });
}

function merge(parts: readonly WorkerResult[], cpuMicros: number | undefined): RoundOutcome {
  const latency = createLatencyHistogram();
  const open = parts.some((part) => part.uncorrected !== undefined);
  const uncorrected = open ? createLatencyHistogram() : undefined;
  const errors = new Map<string, number>();
  const timeline: Array<[number, number]> = [];
  let requests = 0;
  let bytes = 0;
  let measuredMs = 0;
  let nextSequence = 0;
  for (const part of parts) {
    addEncoded(latency, part.latency);
    if (part.uncorrected !== undefined && uncorrected !== undefined) addEncoded(uncorrected, part.uncorrected);
    for (const [key, count] of Object.entries(part.errors)) errors.set(key, (errors.get(key) ?? 0) + count);
    part.timeline.forEach(([requestsInSecond, errorsInSecond], second) => {
      while (timeline.length <= second) timeline.push([0, 0]);
      const point = timeline[second]!;
      point[0] += requestsInSecond;
      point[1] += errorsInSecond;
    });
    requests += part.requests;
    bytes += part.bytes;
    // Workers run side by side: the round lasts as long as the slowest.
    measuredMs = Math.max(measuredMs, part.measuredMs);
    nextSequence = Math.max(nextSequence, part.nextSequence);
  }
  return { requests, bytes, errors, latency, uncorrected, timeline, measuredMs, cpuMicros, nextSequence };
}
