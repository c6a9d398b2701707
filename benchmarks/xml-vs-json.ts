import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMicros, median, runLoad, startProcess, fixedRequest, type BenchProcess } from "./harness.js";

/** A Book with `tags` tags and `labels` labels: the small and the ~10 KiB message, in both formats. */
export function book(tags: number, labels: number): { json: string; xml: string } {
  const value = {
    name: "shelves/1/books/1",
    author: "Ursula K. Le Guin",
    genre: "GENRE_FICTION",
    published: "2024-01-02T03:04:05Z",
    pageCount: "9007199254740993",
    tags: Array.from({ length: tags }, (_, index) => `tag-number-${index}`),
    labels: Object.fromEntries(Array.from({ length: labels }, (_, index) => [`label-${index}`, `value-${index}`])),
  };
  const xml =
    `<book><name>${value.name}</name><author>${value.author}</author><genre>${value.genre}</genre><published>${value.published}</published>` +
    value.tags.map((tag) => `<tags>${tag}</tags>`).join("") +
    Object.entries(value.labels)
      .map(([key, label]) => `<labels><key>${key}</key><value>${label}</value></labels>`)
      .join("") +
    `<pageCount>${value.pageCount}</pageCount></book>`;
  return { json: JSON.stringify(value), xml };
}

export interface XmlBenchResult {
  readonly lines: string[];
  readonly loopLines: string[];
}

/**
 * XML → gRPC → XML next to JSON → gRPC → JSON through the same Rosetta
 * process, for a small and a ~10 KiB message, in alternating rounds; then the
 * event-loop delay under 1 MiB XML bodies, with big parses on a worker thread
 * and with everything on the main thread.
 */
export async function benchXmlVersusJson(script: (name: string) => string, seconds: number, rounds: number, connections: number): Promise<XmlBenchResult> {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-"));
  const upstream = await startProcess("grpc-echo-upstream", script("grpc-echo-upstream"));
  const target = `127.0.0.1:${upstream.port}`;
  const rosetta = await startProcess("rosetta-library", script("rosetta-library"), [target, "1"]);
  const url = `http://127.0.0.1:${rosetta.port}/v1/shelves/1/books/1`;
  const cases = [
    { size: "small", message: book(2, 1) },
    { size: "~10 KiB", message: book(250, 120) },
  ].flatMap(({ size, message }) => [
    { name: `JSON ${size}`, size, bytes: message.json.length, request: fixedRequest(directory, `json-${size.length}`, "PATCH", message.json, { "content-type": "application/json" }) },
    {
      name: `XML ${size}`,
      size,
      bytes: message.xml.length,
      request: fixedRequest(directory, `xml-${size.length}`, "PATCH", message.xml, { "content-type": "application/xml", accept: "application/xml" }),
    },
  ]);
  const runs = new Map<string, { rate: number; p99: number; cpu: number }[]>();
  try {
    for (const entry of cases) await runLoad(url, 2, connections, entry.request);
    for (let round = 0; round < rounds; round++) {
      for (const entry of cases) {
        const before = cpuMicros(rosetta.pid);
        const load = await runLoad(url, seconds, connections, entry.request);
        const cpu = (cpuMicros(rosetta.pid) - before) / load.requests;
        (runs.get(entry.name) ?? runs.set(entry.name, []).get(entry.name)!).push({ rate: load.requestsPerSecond, p99: load.p99Ms, cpu });
        process.stderr.write(`round ${round + 1} ${entry.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${cpu.toFixed(1)} µs CPU/req${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`);
      }
    }
    const lines = ["| message | format | body bytes | requests/s | p99 ms | Rosetta CPU µs/request | CPU × JSON |", "|---|---|---:|---:|---:|---:|---:|"];
    for (const entry of cases) {
      const own = runs.get(entry.name)!;
      const json = runs.get(`JSON ${entry.size}`)!;
      const ratio = median(own.map((run, index) => run.cpu / json[index]!.cpu));
      lines.push(
        `| ${entry.size} | ${entry.name.split(" ")[0]} | ${entry.bytes} | ${median(own.map((run) => run.rate)).toFixed(0)} | ${median(own.map((run) => run.p99)).toFixed(2)} | ${median(own.map((run) => run.cpu)).toFixed(1)} | ${ratio.toFixed(2)} |`,
      );
    }
    const loopLines = ["| big XML parses on | 1 MiB XML req/s | event-loop delay p99 ms | max ms |", "|---|---:|---:|---:|"];
    const huge = book(35_000, 0).xml;
    const hugeRequest = fixedRequest(directory, "xml-1mib", "PATCH", huge, { "content-type": "application/xml", accept: "application/xml" });
    const mainThread = await startProcess("rosetta-library-main-thread", script("rosetta-library"), [target, "0"]);
    try {
      for (const [label, process_] of [
        ["a worker thread", rosetta],
        ["the main thread", mainThread],
      ] as [string, BenchProcess][]) {
        const hugeUrl = `http://127.0.0.1:${process_.port}/v1/shelves/1/books/1`;
        await runLoad(hugeUrl, 2, 4, hugeRequest);
        await loopStats(process_);
        const load = await runLoad(hugeUrl, seconds, 4, hugeRequest);
        const loop = await loopStats(process_);
        loopLines.push(`| ${label} | ${load.requestsPerSecond.toFixed(1)} | ${loop.p99.toFixed(1)} | ${loop.max.toFixed(1)} |`);
        process.stderr.write(
          `1 MiB XML (${huge.length} bytes), parses on ${label}: ${load.requestsPerSecond.toFixed(1)} req/s, loop delay p99 ${loop.p99.toFixed(1)} ms${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`,
        );
      }
    } finally {
      await mainThread.stop();
    }
    return { lines, loopLines };
  } finally {
    await Promise.all([rosetta.stop(), upstream.stop()]);
    rmSync(directory, { recursive: true, force: true });
  }
}

async function loopStats(process_: BenchProcess): Promise<{ p99: number; max: number }> {
  const response = await fetch(`http://127.0.0.1:${process_.info.statsPort as number}/`);
  return (await response.json()) as { p99: number; max: number };
}
