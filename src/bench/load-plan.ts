import type { BenchTargetSpec } from "./bench-target.js";

/** How load is applied, the same for every target and round of one run. */
export interface LoadSettings {
  /** closed: each connection sends its next request when one is answered; open: requests are due at a fixed rate. */
  readonly mode: "closed" | "open";
  readonly connections: number;
  /** Open loop: requests per second, all workers together. */
  readonly rate?: number;
  /** Measured time per round (the warm-up comes on top); or `requests`. */
  readonly durationMs?: number;
  /** Measured requests per round, all workers together; or `durationMs`. */
  readonly requests?: number;
  readonly warmupMs: number;
  readonly workers: number;
  readonly rounds: number;
}

/** One worker's share of one round: plain data, sent to a worker thread. */
export interface WorkerTask extends Omit<LoadSettings, "workers" | "rounds"> {
  readonly spec: BenchTargetSpec;
  /** {{seq}} values: this worker takes sequenceStart, sequenceStart + sequenceStride, … */
  readonly sequenceStart: number;
  readonly sequenceStride: number;
}

/** What one worker measured in one round (warm-up excluded). */
export interface WorkerResult {
  readonly requests: number;
  readonly bytes: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Encoded HDR histograms (latency-histogram.ts); open loop measures from when each request was due. */
  readonly latency: string;
  /** Open loop: from when each request was sent. */
  readonly uncorrected?: string;
  /** Per second of the measured window: [requests, errors]. */
  readonly timeline: ReadonlyArray<readonly [number, number]>;
  /** From the end of the warm-up to the last answer. */
  readonly measuredMs: number;
  /** The next {{seq}} this worker would have used. */
  readonly nextSequence: number;
}

export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "progress"; readonly requests: number; readonly errors: number; readonly measuring: boolean }
  | { readonly type: "result"; readonly result: WorkerResult }
  | { readonly type: "failed"; readonly message: string };

/** The coordinator's word to a ready worker. */
export type CoordinatorMessage = { readonly type: "start" };
