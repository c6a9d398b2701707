import type { BenchReport, LatencySummary, TargetResult } from "./bench-report.js";
import { escapeHtml, linePlot, niceTicks, type PlotSeries } from "./svg-plot.js";

/**
 * `rosetta bench --html`: one self-contained file (inline CSS and SVG, no
 * script, a Content-Security-Policy that forbids any fetch) with the summary
 * per target, latency by percentile for every target on one plot (log-scale
 * percentile axis, as HdrHistogram plots draw it), throughput over time,
 * errors, rounds and the --compare ratios.
 */
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const colorOf = (index: number) => palette[index % palette.length] ?? "#333";

/** Percentile p → its position on the log axis: 90 → 1, 99 → 2, 99.9 → 3 ("nines"). */
const nines = (percentile: number) => -Math.log10(1 - Math.min(percentile, 99.99999) / 100);
const percentileTicks = [0, 90, 99, 99.9, 99.99, 99.999, 99.9999];

function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function formatCount(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return Math.round(value).toLocaleString("en-US");
}

function formatBytes(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${unit === 0 ? scaled.toFixed(0) : scaled.toFixed(1)} ${units[unit]}`;
}

const cell = (text: string, numeric = false) => `<td${numeric ? ' class="n"' : ""}>${escapeHtml(text)}</td>`;
const errorCount = (target: TargetResult) => Object.values(target.errors).reduce((sum, count) => sum + count, 0);
const latencyCells = (latency: LatencySummary | undefined) => [latency?.p50, latency?.p90, latency?.p99, latency?.p999, latency?.max].map((value) => cell(formatMs(value), true)).join("");

function summaryTable(report: BenchReport): string {
  const withCpu = report.targets.some((target) => target.cpuUsPerRequest !== undefined);
  const rows = report.targets.map((target, index) => {
    const errors = errorCount(target);
    const main = `<tr class="target"><td><span class="swatch" style="background:${colorOf(index)}"></span>${escapeHtml(target.name)}</td>${cell(target.protocol)}${cell(target.url)}${cell(formatCount(target.requests), true)}${cell(formatCount(target.rps), true)}${latencyCells(target.latencyMs)}${cell(`${formatCount(errors)}${target.requests > 0 && errors > 0 ? ` (${((100 * errors) / target.requests).toFixed(2)} %)` : ""}`, true)}${cell(formatBytes(target.bytes), true)}${withCpu ? cell(target.cpuUsPerRequest === undefined ? "–" : target.cpuUsPerRequest.toFixed(1), true) : ""}</tr>`;
    const uncorrected =
      target.uncorrectedLatencyMs === undefined
        ? ""
        : `<tr class="uncorrected"><td colspan="5">uncorrected (from when each request was sent, not when it was due)</td>${latencyCells(target.uncorrectedLatencyMs)}<td colspan="${withCpu ? 3 : 2}"></td></tr>`;
    return main + uncorrected;
  });
  return `<table class="summary"><thead><tr><th>target</th><th>protocol</th><th>url</th><th>requests</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>errors</th><th>bytes</th>${withCpu ? "<th>CPU µs/req</th>" : ""}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function latencyPlot(report: BenchReport): string {
  let deepest = 2;
  let slowest = 0;
  const series: PlotSeries[] = report.targets.map((target, index) => {
    const points = target.latencyCurve.map((point): [number, number] => {
      // The axis runs one decade past the deepest percentile short of 100; the max is drawn at its right edge.
      if (point.percentile < 100) deepest = Math.max(deepest, Math.floor(nines(point.percentile) + 1e-9) + 1);
      slowest = Math.max(slowest, point.ms);
      return [point.percentile, point.ms];
    });
    return { name: target.name, color: colorOf(index), points };
  });
  deepest = Math.min(deepest, 7);
  const placed = series.map((line) => ({ ...line, points: line.points.map(([percentile, ms]): [number, number] => [percentile >= 100 ? deepest : nines(percentile), ms]) }));
  const y = niceTicks(slowest * 1.05, formatMs);
  const ticks = percentileTicks.filter((percentile) => nines(percentile) < deepest - 1e-9).map((percentile) => ({ value: nines(percentile), label: `${percentile}%` }));
  ticks.push({ value: deepest, label: "max" });
  return linePlot("latency-curves", "latency by percentile", placed, { title: "percentile (log scale)", min: 0, max: deepest, ticks }, { title: "latency (ms)", min: 0, max: y.max, ticks: y.ticks });
}

function throughputPlot(report: BenchReport): string {
  const series: PlotSeries[] = [];
  let lastSecond = 1;
  let most = 0;
  report.targets.forEach((target, index) => {
    if (target.timeline.length === 0) return;
    series.push({ name: target.name, color: colorOf(index), points: target.timeline.map((point) => [point.second, point.requests]) });
    if (target.timeline.some((point) => point.errors > 0))
      series.push({ name: `${target.name} errors`, color: colorOf(index), dashed: true, points: target.timeline.map((point) => [point.second, point.errors]) });
    for (const point of target.timeline) {
      lastSecond = Math.max(lastSecond, point.second);
      most = Math.max(most, point.requests);
    }
  });
  const x = niceTicks(lastSecond, (value) => `${value}s`);
  const y = niceTicks(most * 1.05, formatCount);
  return linePlot(
    "throughput",
    "requests per second over time",
    series,
    { title: "second of the measured window", min: 0, max: x.max, ticks: x.ticks },
    { title: "requests/s", min: 0, max: y.max, ticks: y.ticks },
  );
}

function errorsTable(report: BenchReport): string {
  const rows = report.targets.flatMap((target) =>
    Object.entries(target.errors)
      .sort(([, a], [, b]) => b - a)
      .map(
        ([outcome, count]) =>
          `<tr>${cell(target.name)}${cell(outcome)}${cell(formatCount(count), true)}${cell(target.requests > 0 ? `${((100 * count) / target.requests).toFixed(2)} %` : "–", true)}</tr>`,
      ),
  );
  if (rows.length === 0) return '<p class="none">No errors.</p>';
  return `<table class="errors"><thead><tr><th>target</th><th>outcome</th><th>count</th><th>share</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function roundsTable(report: BenchReport): string {
  if (report.rounds.length === 0) return "";
  const withCpu = report.rounds.some((round) => round.cpuUsPerRequest !== undefined);
  const rows = report.rounds.map(
    (round) =>
      `<tr>${cell(String(round.round), true)}${cell(round.target)}${cell(formatCount(round.requests), true)}${cell(formatCount(round.rps), true)}${cell(formatMs(round.latencyMs.p50), true)}${cell(formatMs(round.latencyMs.p99), true)}${withCpu ? cell(round.cpuUsPerRequest === undefined ? "–" : round.cpuUsPerRequest.toFixed(1), true) : ""}</tr>`,
  );
  return `<h2>Rounds</h2><table class="rounds"><thead><tr><th>round</th><th>target</th><th>requests</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th>${withCpu ? "<th>CPU µs/req</th>" : ""}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function ratiosTable(report: BenchReport): string {
  if (report.ratios === undefined || report.ratios.length === 0) return "";
  const [first, second] = report.targets;
  const names = { rps: "requests/s", cpuUsPerRequest: "CPU µs per request", p50: "p50 latency", p99: "p99 latency" };
  const rows = report.ratios.map(
    (ratio) => `<tr>${cell(names[ratio.figure])}${cell(ratio.perRound.map((value) => value.toFixed(3)).join(" · "), true)}<td class="n median">${escapeHtml(ratio.median.toFixed(3))}</td></tr>`,
  );
  const caption = first !== undefined && second !== undefined ? `${first.name} over ${second.name}, per round (ABAB…) and their median` : "first target over second";
  return `<h2>Compare</h2><table class="ratios"><caption>${escapeHtml(caption)}</caption><thead><tr><th>figure</th><th>per round</th><th>median</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function settingsLine(report: BenchReport): string {
  const s = report.settings;
  const load = s.mode === "open" ? `open loop at ${formatCount(s.rate)} req/s (latency from when each request was due)` : `closed loop, ${s.connections} connections`;
  const length = s.durationSeconds !== undefined ? `${s.durationSeconds} s per round` : s.requests !== undefined ? `${formatCount(s.requests)} requests per round` : "";
  return [load, length, `warm-up ${s.warmupSeconds} s`, `${s.workers} worker${s.workers === 1 ? "" : "s"}`, `${s.rounds} round${s.rounds === 1 ? "" : "s"}`].filter((part) => part !== "").join(" · ");
}

const style = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#666;margin:0 0 16px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 10px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
th{font-weight:600;background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.uncorrected td{color:#777;font-size:12px}caption{text-align:left;color:#666;padding:4px 0}
td.median{font-weight:600}.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
svg{display:block;margin:8px 0;max-width:100%;height:auto}svg text{font-size:11px;fill:#444}svg .axis-title{font-size:12px;fill:#222}
.none{color:#2a7a2a}
`;

export function renderHtmlReport(report: BenchReport): string {
  const title = `rosetta bench — ${report.targets.map((target) => target.name).join(" vs ")}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Started ${escapeHtml(report.startedAt)} · ${escapeHtml(settingsLine(report))} · latencies in milliseconds · report version ${report.version}</p>
<h2>Summary</h2>
${summaryTable(report)}
<h2>Latency by percentile</h2>
${latencyPlot(report)}
<h2>Throughput over time</h2>
${throughputPlot(report)}
<h2>Errors</h2>
${errorsTable(report)}
${ratiosTable(report)}
${roundsTable(report)}
</body>
</html>
`;
}
