import { availableParallelism } from "node:os";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../options/error-codes.js";
import { integer, type Schema } from "../options/schema.js";
import type { GatewayConfig } from "./gateway-config.js";

/** `workers:` as written: "auto" (one per core) or a count; 1 is the single process of old. */
export type WorkersSetting = "auto" | number;

const count = integer({ min: 1, max: 1024 });

export const workersSchema: Schema<WorkersSetting> = {
  typeName: "auto or a number of processes",
  parse(input, context) {
    if (input === "auto") return "auto";
    if (typeof input === "string") return context.report(ConfigErrorCode.VALUE, `expected auto or a number of processes, got "${input}"`);
    return count.parse(input, context);
  },
};

/** How many worker processes `workers` means on this machine. */
export function workerCount(setting: WorkersSetting): number {
  return setting === "auto" ? availableParallelism() : setting;
}

/** Where a worker stands among its siblings: slot 1..count, stable across restarts (cluster's worker.id is not). */
export interface WorkerSlot {
  readonly slot: number;
  readonly count: number;
}

interface PassiveRange {
  readonly protocol: string;
  readonly passivePortMin?: number;
  readonly passivePortMax?: number;
}

/**
 * Problems that only show once the worker count is known: an FTP listener's
 * passive range is split between the workers (see forWorker), so it needs a
 * port per worker at least.
 */
export function workerProblems(config: { readonly listeners: readonly { readonly protocol: string }[] }, workers: number): ConfigProblem[] {
  if (workers <= 1) return [];
  return config.listeners.flatMap((listener, index) => {
    const { passivePortMin, passivePortMax } = listener as PassiveRange;
    if (listener.protocol !== "ftp" || passivePortMin === undefined || passivePortMax === undefined) return [];
    const size = passivePortMax - passivePortMin + 1;
    if (size >= workers) return [];
    return [
      {
        code: ConfigErrorCode.VALUE,
        path: `listeners[${index}].passivePortMax`,
        message: `the passive range ${passivePortMin}-${passivePortMax} (${size} ports) is split between ${workers} workers and needs a port per worker at least`,
      },
    ];
  });
}

/**
 * The config one worker runs. FTP: a passive data connection must reach the
 * process whose session announced the port, and cluster would share a port
 * two workers both picked, so each worker gets its own slice of the passive
 * range. The admin listener is served by the supervisor, so a worker keeps
 * its metrics but binds no admin port.
 */
export function forWorker(config: GatewayConfig, { slot, count: workers }: WorkerSlot): GatewayConfig {
  const problems = workerProblems(config, workers);
  if (problems.length > 0) throw new ConfigError(problems);
  const listeners = config.listeners.map((listener) => {
    const { passivePortMin, passivePortMax } = listener as PassiveRange;
    if (listener.protocol !== "ftp" || passivePortMin === undefined || passivePortMax === undefined) return listener;
    const size = passivePortMax - passivePortMin + 1;
    const first = passivePortMin + Math.floor(((slot - 1) * size) / workers);
    const last = passivePortMin + Math.floor((slot * size) / workers) - 1;
    return Object.freeze({ ...listener, passivePortMin: first, passivePortMax: last });
  });
  return Object.freeze({ ...config, listeners, adminInSupervisor: true });
}

/** Reads a slot handed down by the supervisor in the environment; undefined when not a worker. */
export function slotFromEnvironment(env: NodeJS.ProcessEnv): WorkerSlot | undefined {
  const slot = Number(env.ROSETTA_WORKER_SLOT);
  const workers = Number(env.ROSETTA_WORKERS);
  if (!Number.isInteger(slot) || !Number.isInteger(workers) || slot < 1 || slot > workers) return undefined;
  return { slot, count: workers };
}
