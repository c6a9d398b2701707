import { benchReportVersion, type BenchReport, type TargetResult } from "../../src/bench/bench-report.js";

/** A report as the engine writes it: two targets compared over three rounds, errors, an open-loop uncorrected summary, and a hostile target name. */
function target(name: string, url: string, protocol: TargetResult["protocol"], scale: number, errors: Record<string, number>): TargetResult {
  const curve = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100].map((percentile) => ({ percentile, ms: scale * (1 + 10 / (100.5 - percentile)) }));
  return {
    name,
    url,
    protocol,
    requests: 90_000,
    rps: 3000 / scale,
    bytes: 12_345_678,
    errors,
    latencyMs: { p50: scale * 1.2, p90: scale * 2, p99: scale * 11, p999: scale * 60, max: scale * 200 },
    uncorrectedLatencyMs: { p50: scale, p90: scale * 1.5, p99: scale * 5, p999: scale * 9, max: scale * 200 },
    latencyCurve: curve,
    timeline: Array.from({ length: 10 }, (_, second) => ({ second: second + 1, requests: Math.round(3000 / scale + (second % 3) * 50), errors: second === 4 ? 12 : 0 })),
    cpuUsPerRequest: 40 * scale,
  };
}

export const sampleReport: BenchReport = {
  version: benchReportVersion,
  startedAt: "2026-01-02T03:04:05.000Z",
  settings: { mode: "open", connections: 50, rate: 3000, durationSeconds: 10, warmupSeconds: 2, workers: 2, rounds: 3 },
  targets: [
    target("grpc direct", "grpc://127.0.0.1:9090/rosetta.demo.v1.Bookstore/GetShelf", "grpc", 1, {}),
    target('rest <img src="http://example.invalid/x.png" onerror="alert(1)">', "http://127.0.0.1:8080/v1/shelves/1", "http", 1.6, { "503": 12, timeout: 3 }),
  ],
  rounds: [1, 2, 3].flatMap((round) => [
    { round, target: "grpc direct", requests: 30_000, rps: 3000, latencyMs: { p50: 1.2, p90: 2, p99: 11, p999: 60, max: 200 }, cpuUsPerRequest: 40 },
    { round, target: "rest", requests: 30_000, rps: 1875, latencyMs: { p50: 1.9, p90: 3.2, p99: 17.6, p999: 96, max: 320 }, cpuUsPerRequest: 64 },
  ]),
  ratios: [
    { figure: "rps", perRound: [1.6, 1.58, 1.62], median: 1.6 },
    { figure: "p99", perRound: [0.63, 0.6, 0.64], median: 0.63 },
  ],
};
