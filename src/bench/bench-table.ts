import type { BenchReport, LatencySummary, TargetResult } from "./bench-report.js";

/** The table `rosetta bench` prints at the end, drawn from the report. */
export function formatBenchTable(report: BenchReport): string {
  const { settings } = report;
  const load =
    settings.mode === "open" ? `open loop at ${settings.rate} req/s (latency from when each request was due), ${settings.connections} connections` : `closed loop, ${settings.connections} connections`;
  const window = settings.requests === undefined ? `${settings.durationSeconds}s` : `${settings.requests} requests`;
  const lines = [
    `${load}; ${window} per round after ${settings.warmupSeconds}s warm-up; ${settings.rounds} round${settings.rounds === 1 ? "" : "s"}; ${settings.workers} worker${settings.workers === 1 ? "" : "s"}`,
    "",
  ];
  const header = ["target", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "MB in"];
  const withCpu = report.targets.some((target) => target.cpuUsPerRequest !== undefined);
  if (withCpu) header.push("CPU µs/req");
  const rows: string[][] = [header];
  for (const target of report.targets) {
    rows.push(row(target.name, target, target.latencyMs, withCpu));
    if (target.uncorrectedLatencyMs !== undefined) rows.push(["  from when sent", "", "", ...latencyCells(target.uncorrectedLatencyMs), "", "", ...(withCpu ? [""] : [])]);
  }
  lines.push(...align(rows));
  for (const target of report.targets) {
    const errors = Object.entries(target.errors);
    if (errors.length > 0) lines.push("", `errors of ${target.name}: ${errors.map(([outcome, count]) => `${outcome} × ${count}`).join(", ")}`);
  }
  if (report.ratios !== undefined && report.targets.length === 2) {
    lines.push("", `first over second (${report.targets[0]?.name} / ${report.targets[1]?.name}): median of the rounds (each round)`);
    for (const ratio of report.ratios) lines.push(`  ${ratio.figure.padEnd(16)} ${ratio.median.toFixed(3)}  (${ratio.perRound.map((value) => value.toFixed(3)).join(" ")})`);
  }
  return `${lines.join("\n")}\n`;
}

function row(name: string, target: TargetResult, latency: LatencySummary, withCpu: boolean): string[] {
  const errors = Object.values(target.errors).reduce((sum, count) => sum + count, 0);
  const cells = [name, String(target.requests), target.rps.toFixed(0), ...latencyCells(latency), String(errors), (target.bytes / 1e6).toFixed(2)];
  if (withCpu) cells.push(target.cpuUsPerRequest === undefined ? "" : target.cpuUsPerRequest.toFixed(1));
  return cells;
}

const latencyCells = (latency: LatencySummary) => [latency.p50, latency.p90, latency.p99, latency.p999, latency.max].map((ms) => ms.toFixed(ms >= 100 ? 0 : 2));

function align(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? "").length))) ?? [];
  return rows.map((cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  "));
}
