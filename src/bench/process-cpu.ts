import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of a process and its descendants, from /proc (Linux): utime +
 * stime of each, plus cutime + cstime (children that already ended and were
 * waited for), so a child that exits between two readings is still counted.
 */
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;
  return ticksPerSecond;
}

interface Stat {
  readonly parent: number;
  readonly ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ") ".
  const fields = text.slice(text.lastIndexOf(") ") + 2).split(" ");
  // From the state (field 3): ppid is field 4, utime..cstime fields 14–17.
  const parent = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return { parent, ticks };
}

/** Microseconds of CPU used so far by `pid` and its descendants; undefined when the process is gone. */
export function processTreeCpuMicros(pid: number): number | undefined {
  const root = readStat(pid);
  if (root === undefined) return undefined;
  const children = new Map<number, number[]>();
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry);
    if (!Number.isInteger(child) || child === pid) continue;
    const stat = readStat(child);
    if (stat === undefined) continue;
    stats.set(child, stat);
    (children.get(stat.parent) ?? children.set(stat.parent, []).get(stat.parent)!).push(child);
  }
  let ticks = root.ticks;
  const queue = [...(children.get(pid) ?? [])];
  for (let index = 0; index < queue.length && index < 100_000; index++) {
    const child = queue[index]!;
    ticks += stats.get(child)?.ticks ?? 0;
    queue.push(...(children.get(child) ?? []));
  }
  return (ticks / clockTicks()) * 1e6;
}

export function processExists(pid: number): boolean {
  return readStat(pid) !== undefined;
}
