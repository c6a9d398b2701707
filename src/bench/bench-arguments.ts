import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import type { BenchProtocol, BenchTargetSpec } from "./bench-target.js";
import { compileBodyTemplate } from "./body-template.js";
import { processExists } from "./process-cpu.js";
import type { BenchPlan } from "./run-bench.js";
import { benchProtocols, protocolOfUrl } from "./target-registry.js";

/** `rosetta bench` flags → a plan; every bad flag is a BenchUsageError naming it. */
export class BenchUsageError extends Error {}

export const benchUsage = `Usage: rosetta bench URL [options]

Measures requests/s and latency of one target, or of two side by side (--compare).
Latencies in milliseconds, from HDR histograms merged across workers.

Target:
      --url URL             the target (or give it as the first argument): http(s)://host:port/path,
                            ws(s)://, tcp://, udp:// or grpc://host:port/pkg.Svc/Method
      --protocol P          http | ws | tcp | udp | grpc (default: from the URL's scheme)
  -m, --method M            HTTP method, or the frame's method for ws/tcp/udp (default GET; POST with --body)
  -b, --body TEXT|@FILE     request body; @FILE reads a file. Templates: {{seq}} (the request's number,
                            unique in the run), {{uuid}}, {{randInt LOW HIGH}}
  -H, --header 'K: V'       a request header (repeat for more)
      --path P              ws/tcp/udp: the frame's request path
      --framing F           tcp: ndjson | length-prefixed
      --proto FILE          grpc: a .proto file (repeat); without it, server reflection
      --import-path DIR     grpc: where imports of --proto files are found (repeat)
      --timeout D           per-request timeout; a request past it counts as the error "timeout" (default 10s)
      --pipelining N        HTTP/1.1 requests written ahead on one connection (default 1: none)
      --in-flight N         ws/tcp/udp frames and grpc streams: requests in flight at once on one connection
                            (default 64, under the 100 a Rosetta frame listener allows); HTTP/1.1 ignores it
      --pad BYTES           udp: pad each request datagram with spaces to BYTES (default 1024, 0 for none);
                            a Rosetta UDP listener never answers with more bytes than it received

Load:
  -c, --connections N       connections (default 50); closed loop: each carries one request at a time
                            (N with --pipelining, many for ws/tcp/grpc), sending the next when answered
  -R, --rate R              open loop: R requests/s in all, each timed from when it was due, so a server
                            stall shows in the percentiles (coordinated omission corrected, as wrk2 does);
                            the table also shows the latency measured from when it was sent
  -d, --duration D          measured time per round, warm-up excluded (default 10s); D is 500ms, 10s, 2m
  -n, --requests N          or: measured requests per round
  -w, --warmup D            load before each measured window, not counted (default 1s; 0 for none)
      --workers N           load-generating threads (default ${defaultWorkers()}: half the cores, leaving the rest to what is measured)

Compare and cost:
      --compare URL         a second target (same method, body and headers) run in alternating rounds
                            A B A B …; reports the first over the second per round and the median
      --compare-method M, --compare-body TEXT|@FILE, --compare-header 'K: V', --compare-path P
                            the second target's own method, body, headers (all of them) or frame path,
                            when it differs from the first (gRPC direct vs REST through a gateway)
      --rounds N            rounds (default 1, or 3 with --compare)
      --pid PID             charge the CPU of PID and its descendants (/proc utime+stime) to each request:
                            CPU µs per request; give --pid twice for the two targets of --compare

Output:
  a progress line on a terminal (nothing while not a terminal), then a table on stdout
      --json FILE           write the report (schema: README "Benchmarking your services")
      --html FILE           write a self-contained HTML report (latency curves, throughput over time)
  -h, --help                this text
`;

export interface BenchOptions {
  readonly plan: BenchPlan;
  readonly jsonFile?: string;
  readonly htmlFile?: string;
}

function defaultWorkers(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

const options = {
  url: { type: "string" },
  protocol: { type: "string" },
  method: { type: "string", short: "m" },
  body: { type: "string", short: "b" },
  header: { type: "string", short: "H", multiple: true },
  path: { type: "string" },
  framing: { type: "string" },
  proto: { type: "string", multiple: true },
  "import-path": { type: "string", multiple: true },
  timeout: { type: "string" },
  pipelining: { type: "string" },
  "in-flight": { type: "string" },
  pad: { type: "string" },
  connections: { type: "string", short: "c" },
  rate: { type: "string", short: "R" },
  duration: { type: "string", short: "d" },
  requests: { type: "string", short: "n" },
  warmup: { type: "string", short: "w" },
  workers: { type: "string" },
  compare: { type: "string" },
  "compare-method": { type: "string" },
  "compare-body": { type: "string" },
  "compare-header": { type: "string", multiple: true },
  "compare-path": { type: "string" },
  rounds: { type: "string" },
  pid: { type: "string", multiple: true },
  json: { type: "string" },
  html: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Every flag's long name (the help test checks each is documented). */
export const benchFlags: readonly string[] = Object.keys(options);

export function parseBenchArguments(argv: readonly string[]): BenchOptions | "help" {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const option = /option '([^']+)'/i.exec(error instanceof Error ? error.message : "")?.[1];
    throw new BenchUsageError(option === undefined ? String(error instanceof Error ? error.message : error) : `unknown option "${option}" (rosetta bench --help lists them)`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return "help";
  if (positionals.length > 1 || (positionals.length === 1 && values.url !== undefined))
    throw new BenchUsageError(`one target URL, not ${[values.url, ...positionals].filter(Boolean).join(" and ")} (a second goes in --compare)`);
  const url = values.url ?? positionals[0];
  if (url === undefined) throw new BenchUsageError("no target: give a URL (rosetta bench http://127.0.0.1:8080/path)");

  const rate = values.rate === undefined ? undefined : positive("--rate", values.rate, false);
  if (values.duration !== undefined && values.requests !== undefined) throw new BenchUsageError("give --duration or --requests, not both");
  const requests = values.requests === undefined ? undefined : positive("--requests", values.requests, true);
  const durationMs = requests === undefined ? duration("--duration", values.duration ?? "10s", false) : undefined;
  const connections = positive("--connections", values.connections ?? "50", true);
  const pids = (values.pid ?? []).map((pid) => {
    const value = positive("--pid", pid, true);
    if (!processExists(value)) throw new BenchUsageError(`--pid ${pid}: no such process (CPU is read from /proc/${pid}/stat)`);
    return value;
  });
  if (pids.length > 2) throw new BenchUsageError("--pid at most twice (one per target of --compare)");
  if (pids.length === 2 && values.compare === undefined) throw new BenchUsageError("--pid twice needs --compare (one per target)");

  const body = values.body === undefined ? "" : checkedBody("--body", readBody("--body", values.body));
  const shared = {
    method: checkedMethod("--method", values.method ?? (values.body === undefined ? "GET" : "POST")),
    headers: headers("--header", values.header ?? []),
    body,
    protoFiles: values.proto ?? [],
    importPaths: values["import-path"] ?? [],
    timeoutMs: duration("--timeout", values.timeout ?? "10s", false),
    pipelining: positive("--pipelining", values.pipelining ?? "1", true),
    ...(values["in-flight"] === undefined ? {} : { inFlightPerConnection: positive("--in-flight", values["in-flight"], true) }),
    ...(values.pad === undefined ? {} : { padBytes: padBytes(values.pad) }),
    ...(values.path === undefined ? {} : { path: values.path }),
    ...(values.framing === undefined ? {} : { framing: values.framing }),
  };
  const spec = (target: string, flag: string): BenchTargetSpec => ({ ...shared, url: checkedUrl(target, flag), protocol: available(protocol(values.protocol, target, flag)) });
  const first = spec(url, "URL");
  const targets = [{ name: url, spec: first, ...(pids[0] === undefined ? {} : { pid: pids[0] }) }];
  const compareFlags = (["compare-method", "compare-body", "compare-header", "compare-path"] as const).filter((flag) => values[flag] !== undefined);
  if (values.compare === undefined && compareFlags.length > 0) throw new BenchUsageError(`--${compareFlags[0]} needs --compare`);
  if (values.compare !== undefined) {
    const secondPid = pids[1] ?? pids[0];
    const compareBody = values["compare-body"];
    const second: BenchTargetSpec = {
      ...spec(values.compare, "--compare"),
      ...(compareBody === undefined ? {} : { body: checkedBody("--compare-body", readBody("--compare-body", compareBody)) }),
      ...(values["compare-method"] === undefined ? {} : { method: checkedMethod("--compare-method", values["compare-method"]) }),
      ...(values["compare-header"] === undefined ? {} : { headers: headers("--compare-header", values["compare-header"]) }),
      ...(values["compare-path"] === undefined ? {} : { path: values["compare-path"] }),
    };
    targets.push({ name: values.compare === url ? `${url} (2)` : values.compare, spec: second, ...(secondPid === undefined ? {} : { pid: secondPid }) });
  }
  const workers = values.workers === undefined ? defaultWorkers() : positive("--workers", values.workers, true);
  return {
    plan: {
      targets,
      load: {
        mode: rate === undefined ? "closed" : "open",
        connections,
        warmupMs: duration("--warmup", values.warmup ?? "1s", true),
        workers: Math.min(workers, connections),
        rounds: positive("--rounds", values.rounds ?? (values.compare === undefined ? "1" : "3"), true),
        ...(rate === undefined ? {} : { rate }),
        ...(durationMs === undefined ? {} : { durationMs }),
        ...(requests === undefined ? {} : { requests }),
      },
    },
    ...(values.json === undefined ? {} : { jsonFile: values.json }),
    ...(values.html === undefined ? {} : { htmlFile: values.html }),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
}

function positive(flag: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new BenchUsageError(`${flag} must be a positive ${integer ? "integer" : "number"}, not "${text}"`);
  }
  return value;
}

/** The largest payload of a UDP datagram over IPv4. */
const maxDatagram = 65_507;

function padBytes(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(value) || value < 0 || value > maxDatagram)
    throw new BenchUsageError(`--pad must be a whole number of bytes from 0 to ${maxDatagram}, not "${text}"`);
  return value;
}

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "10s", "2m", "1h"; a bare number is seconds. */
export function duration(flag: string, text: string, zeroAllowed: boolean): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const value = match === null ? Number.NaN : Number(match[1]) * (units[match[2] ?? "s"] ?? 1000);
  if (!Number.isFinite(value) || (value === 0 && !zeroAllowed)) throw new BenchUsageError(`${flag} must be a duration like 500ms, 10s or 2m${zeroAllowed ? " (or 0)" : ""}, not "${text}"`);
  return value;
}

function headers(flag: string, lines: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new BenchUsageError(`${flag} "${line}" is not "name: value"`);
    result[name] = line.slice(colon + 1).trim();
  }
  return result;
}

function readBody(flag: string, text: string): string {
  if (!text.startsWith("@")) return text;
  try {
    return readFileSync(text.slice(1), "utf8");
  } catch (error) {
    throw new BenchUsageError(`${flag} ${text}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function checkedBody(flag: string, body: string): string {
  try {
    compileBodyTemplate(body);
  } catch (error) {
    throw new BenchUsageError(`${flag}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return body;
}

function checkedMethod(flag: string, method: string): string {
  if (!/^[A-Za-z]+$/.test(method)) throw new BenchUsageError(`${flag} "${method}" is not a method name`);
  return method;
}

function checkedUrl(text: string, flag: string): string {
  try {
    new URL(text);
  } catch {
    throw new BenchUsageError(`${flag} "${text}" is not a URL (like http://127.0.0.1:8080/path)`);
  }
  return text;
}

const protocols: readonly BenchProtocol[] = ["http", "ws", "tcp", "udp", "grpc"];

function protocol(given: string | undefined, url: string, flag: string): BenchProtocol {
  if (given !== undefined) {
    const named = protocols.find((name) => name === given);
    if (named === undefined) throw new BenchUsageError(`--protocol must be one of ${protocols.join(", ")}, not "${given}"`);
    return named;
  }
  const inferred = protocolOfUrl(url);
  if (inferred === undefined) throw new BenchUsageError(`${flag} "${url}": cannot tell the protocol from its scheme; use http(s)://, ws(s)://, tcp://, udp://, grpc:// or --protocol`);
  return inferred;
}

function available(protocol: BenchProtocol): BenchProtocol {
  if (!benchProtocols().includes(protocol)) throw new BenchUsageError(`no ${protocol} target in this build of rosetta bench (it drives: ${benchProtocols().join(", ")})`);
  return protocol;
}
