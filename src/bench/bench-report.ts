import type { BenchProtocol } from "./bench-target.js";

/**
 * The result of one `rosetta bench` run: what `--json` writes (schema
 * `version` 1, documented in the README) and what the table and the `--html`
 * report are drawn from. Latencies in milliseconds.
 */
export const benchReportVersion = 1;

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** One point of the latency-percentile curve (percentile 0–100). */
export interface PercentilePoint {
  readonly percentile: number;
  readonly ms: number;
}

/** Requests finished in one second of the measured window (warm-up excluded). */
export interface TimelinePoint {
  readonly second: number;
  readonly requests: number;
  readonly errors: number;
}

export interface TargetResult {
  readonly name: string;
  readonly url: string;
  readonly protocol: BenchProtocol;
  /** Requests finished in the measured windows (all rounds), errors included. */
  readonly requests: number;
  readonly rps: number;
  readonly bytes: number;
  /** Failed requests by outcome: HTTP status, gRPC code name, "timeout", an errno. */
  readonly errors: Readonly<Record<string, number>>;
  readonly latencyMs: LatencySummary;
  /** Open loop only: the same figures measured from when each request was sent, not when it was due. */
  readonly uncorrectedLatencyMs?: LatencySummary;
  readonly latencyCurve: readonly PercentilePoint[];
  readonly timeline: readonly TimelinePoint[];
  /** With --pid: CPU microseconds of that process (and its children) per request. */
  readonly cpuUsPerRequest?: number;
}

/** One round of one target (with --compare, rounds alternate A B A B …). */
export interface RoundResult {
  readonly round: number;
  readonly target: string;
  readonly requests: number;
  readonly rps: number;
  readonly latencyMs: LatencySummary;
  readonly cpuUsPerRequest?: number;
}

/** With --compare: the first target over the second, per round and the median of the rounds. */
export interface RatioResult {
  readonly figure: "rps" | "cpuUsPerRequest" | "p50" | "p99";
  readonly perRound: readonly number[];
  readonly median: number;
}

export interface BenchReport {
  readonly version: typeof benchReportVersion;
  readonly startedAt: string;
  readonly settings: {
    readonly mode: "closed" | "open";
    readonly connections: number;
    /** Open loop: requests per second asked for. */
    readonly rate?: number;
    readonly durationSeconds?: number;
    readonly requests?: number;
    readonly warmupSeconds: number;
    readonly workers: number;
    readonly rounds: number;
  };
  readonly targets: readonly TargetResult[];
  readonly rounds: readonly RoundResult[];
  readonly ratios?: readonly RatioResult[];
}
