import { writeFileSync } from "node:fs";
import type { BenchReport } from "./bench-report.js";
import { BenchUsageError, benchUsage, parseBenchArguments } from "./bench-arguments.js";
import { formatBenchTable } from "./bench-table.js";
import { renderHtmlReport } from "./html-report.js";
import { runBench, type BenchProgress } from "./run-bench.js";

/** `rosetta bench …`: parse, run, print the table, write --json / --html. Returns the exit code. */
export interface BenchOutput {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

export async function runBenchCommand(argv: readonly string[], output: BenchOutput = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const fail = (message: string) => {
    output.stderr.write(`rosetta bench: ${message}\n`);
    return 2;
  };
  let options: ReturnType<typeof parseBenchArguments>;
  try {
    options = parseBenchArguments(argv);
  } catch (error) {
    if (error instanceof BenchUsageError) return fail(error.message);
    throw error;
  }
  if (options === "help") {
    output.stdout.write(benchUsage);
    return 0;
  }
  const terminal = "isTTY" in output.stderr && output.stderr.isTTY === true;
  const progress = terminal ? (state: BenchProgress) => output.stderr.write(`\r\x1b[K${progressLine(state)}`) : undefined;
  let report: BenchReport;
  try {
    report = await runBench(options.plan, progress === undefined ? {} : { progress });
  } finally {
    if (terminal) output.stderr.write("\r\x1b[K");
  }
  output.stdout.write(formatBenchTable(report));
  if (options.jsonFile !== undefined) writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  if (options.htmlFile !== undefined) writeFileSync(options.htmlFile, renderHtmlReport(report));
  return 0;
}

function progressLine(state: BenchProgress): string {
  const phase = state.measuring ? "" : " warm-up";
  return `${state.target} round ${state.round}/${state.rounds}${phase} ${state.seconds.toFixed(1)}s: ${state.requests} requests, ${state.errors} errors`;
}
