import { parseArgs } from "node:util";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { cpuMicros, hasWrk, median, runClientLoop, runLoad, runWrkCrossCheck, startProcess, type BenchProcess, type DirectLoop, type LoadResult } from "./harness.js";
import { benchAccuracy, benchGenerator, benchRateAccuracy } from "./generator.js";
import { benchRouter } from "./micro/router.bench.js";
import { benchXmlVersusJson } from "./xml-vs-json.js";
import { benchListeners } from "./listeners.js";
import { benchPolicies } from "./policies.js";
import { benchEventLoop, benchSlowBody, benchSlowloris } from "./hardening.js";
import { benchReload } from "./reload.js";
import { benchTracing } from "./tracing.js";
import { benchWorkers } from "./workers.js";
import { benchPeersGrpc, benchPeersHttp } from "./peers.js";

/**
 * `npm run bench`: the sections named by --only, in one run. This file holds
 * the http section (a node:http upstream called directly and through Rosetta
 * on each HTTP transport, @fastify/http-proxy and a bare undici probe),
 * observability and grpc; the others live in their own files. Targets are
 * measured in alternating rounds so that the machine's noise hits each alike;
 * figures are medians, ratios are taken within each round.
 */
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    only: { type: "string", default: "http,grpc,peers-http,peers-grpc,xml,listeners,router" },
    // Also measure the http section's targets with wrk, next to the engine's figures.
    "cross-check": { type: "boolean", default: false },
  },
});
// "hardening" names the three attack benchmarks of issue 10 at once; "peers" the two peer sections.
const groups: Readonly<Record<string, readonly string[]>> = { hardening: ["eventloop", "slowloris", "slowbody"], peers: ["peers-http", "peers-grpc"] };
const sections = new Set(values.only.split(",").flatMap((name) => groups[name] ?? [name]));
const seconds = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const script = (name: string) => fileURLToPath(new URL(`./processes/${name}.js`, import.meta.url));

// The reload benchmark brings its own load (HTTP, WebSocket and TCP callers); the others use runLoad (rosetta bench's engine).
if (sections.has("reload")) {
  await benchReload({ reloads: 20, seconds: Number(values.duration === "5" ? 20 : values.duration) });
  sections.delete("reload");
  if (sections.size === 0) process.exit(0);
}

// rosetta bench against its anchors (benchmarks/generator.ts): they bring their own processes and pinning.
for (const [section, run] of [
  ["generator", () => benchGenerator(rounds, seconds, connections)],
  ["accuracy", () => benchAccuracy(rounds, Math.max(seconds, 10))],
  ["rate", () => benchRateAccuracy(rounds, seconds)],
] as const) {
  if (!sections.has(section)) continue;
  process.stdout.write(await run());
  sections.delete(section);
  if (sections.size === 0) process.exit(0);
}

const crossCheck = values["cross-check"] === true && hasWrk();
if (values["cross-check"] === true && !crossCheck) process.stderr.write("--cross-check needs wrk (apt-get install -y wrk); skipped\n");

interface Target {
  readonly name: string;
  readonly url: string;
  /** The process whose CPU is charged to each request. */
  readonly process: BenchProcess;
}

process.stderr.write(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}; Node ${process.version}; 1 load thread × ${connections} connections, ${seconds}s per target per round, ${rounds} rounds; all processes unpinned on all cores\n`,
);
const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

if (sections.has("http")) {
  const upstream = await startProcess("upstream", script("upstream"));
  const origin = `http://127.0.0.1:${upstream.port}`;
  const peers = await Promise.all([
    startProcess("rosetta", script("rosetta"), [origin]),
    startProcess("undici-probe", script("undici-probe"), [origin]),
    startProcess("fastify-http-proxy", script("fastify-proxy"), [origin]),
    startProcess("rosetta-undici", script("rosetta"), [origin, "undici"]),
  ]);
  const probeName = "undici Pool.stream probe";
  const targets: Target[] = [
    { name: "direct (node:http upstream)", url: `${origin}/v2/orders/1`, process: upstream },
    { name: "Rosetta", url: `http://127.0.0.1:${peers[0].port}/api/orders/1`, process: peers[0] },
    { name: "Rosetta (transport: undici)", url: `http://127.0.0.1:${peers[3].port}/api/orders/1`, process: peers[3] },
    { name: probeName, url: `http://127.0.0.1:${peers[1].port}/api/orders/1`, process: peers[1] },
    { name: "@fastify/http-proxy", url: `http://127.0.0.1:${peers[2].port}/api/orders/1`, process: peers[2] },
  ];

  for (const target of targets) await runLoad(target.url, 2, connections); // warm-up: JIT and connection pools

  type Run = LoadResult & { cpuMicrosPerRequest: number; ratio: number; cpuVersusProbe: number; cpuVersusUpstream: number };
  const results = new Map<string, Run[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    let directRate = Number.NaN;
    const entries: Run[] = [];
    for (const target of targets) {
      const before = cpuMicros(target.process.pid);
      const load = await runLoad(target.url, seconds, connections);
      const cpu = cpuMicros(target.process.pid) - before;
      if (target === targets[0]) directRate = load.requestsPerSecond;
      const entry = { ...load, cpuMicrosPerRequest: cpu / load.requests, ratio: load.requestsPerSecond / directRate, cpuVersusProbe: Number.NaN, cpuVersusUpstream: Number.NaN };
      entries.push(entry);
      results.get(target.name)?.push(entry);
      process.stderr.write(
        `round ${round + 1} ${target.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${entry.cpuMicrosPerRequest.toFixed(1)} µs CPU/req${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`,
      );
    }
    const probeCpu = entries[targets.findIndex((target) => target.name === probeName)]!.cpuMicrosPerRequest;
    // The upstream's own CPU per request, serving the direct load: the yardstick of issue 16's goal 2.
    const upstreamCpu = entries[0]!.cpuMicrosPerRequest;
    for (const entry of entries.slice(1)) {
      entry.cpuVersusProbe = entry.cpuMicrosPerRequest / probeCpu;
      entry.cpuVersusUpstream = entry.cpuMicrosPerRequest / upstreamCpu;
    }
  }
  // The optional cross-check: the same targets under wrk, one pass, after the rounds.
  const wrkRates = new Map<string, number>();
  if (crossCheck) for (const target of targets) wrkRates.set(target.name, (await runWrkCrossCheck(target.url, seconds, connections)).requestsPerSecond);
  await Promise.all([...peers, upstream].map((child) => child.stop()));
  if (crossCheck) {
    const check = ["| target | engine req/s (median) | wrk -t1 req/s (one pass) |", "|---|---:|---:|"];
    for (const target of targets)
      check.push(`| ${target.name} | ${fixed(median((results.get(target.name) ?? []).map((run) => run.requestsPerSecond)))} | ${fixed(wrkRates.get(target.name) ?? Number.NaN)} |`);
    process.stdout.write(`\nCross-check with wrk\n\n${check.join("\n")}\n`);
  }

  const lines = ["| target | requests/s | p50 ms | p99 ms | CPU µs/request (that process) | × direct (req/s) | CPU × probe | CPU × upstream's |", "|---|---:|---:|---:|---:|---:|---:|---:|"];
  for (const target of targets) {
    const runs = results.get(target.name) ?? [];
    lines.push(
      `| ${target.name} | ${fixed(median(runs.map((run) => run.requestsPerSecond)))} | ${fixed(median(runs.map((run) => run.p50Ms)), 2)} | ${fixed(median(runs.map((run) => run.p99Ms)), 2)} | ${fixed(median(runs.map((run) => run.cpuMicrosPerRequest)), 1)} | ${fixed(median(runs.map((run) => run.ratio)), 2)} | ${fixed(median(runs.map((run) => run.cpuVersusProbe)), 2)} | ${fixed(median(runs.map((run) => run.cpuVersusUpstream)), 2)} |`,
    );
  }
  process.stdout.write(`\nHTTP→HTTP, ~200-byte JSON, 1 load thread × ${connections} connections, median of ${rounds} rounds × ${seconds}s\n\n${lines.join("\n")}\n`);
}

if (sections.has("observability")) {
  // The per-request cost of metrics: the same Rosetta with and without the admin listener, in alternating rounds.
  const upstream = await startProcess("upstream", script("upstream"));
  const origin = `http://127.0.0.1:${upstream.port}`;
  const off = await startProcess("rosetta", script("rosetta"), [origin]);
  const on = await startProcess("rosetta-metrics", script("rosetta"), [origin, "admin"]);
  const targets = [
    { name: "admin + metrics off", url: `http://127.0.0.1:${off.port}/api/orders/1`, process: off },
    { name: "admin + metrics on", url: `http://127.0.0.1:${on.port}/api/orders/1`, process: on },
  ];
  for (const target of targets) await runLoad(target.url, 2, connections);
  const runs = new Map<string, Array<LoadResult & { cpu: number }>>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so drift in the machine's load does not favour one.
    for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
      const before = cpuMicros(target.process.pid);
      const load = await runLoad(target.url, seconds, connections);
      const cpu = (cpuMicros(target.process.pid) - before) / load.requests;
      runs.get(target.name)!.push({ ...load, cpu });
      process.stderr.write(`round ${round + 1} ${target.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${cpu.toFixed(1)} µs CPU/req\n`);
    }
  }
  await Promise.all([off.stop(), on.stop(), upstream.stop()]);
  const [offRuns, onRuns] = targets.map((target) => runs.get(target.name)!);
  const lines = ["| Rosetta HTTP→HTTP | requests/s | p99 ms | CPU µs/request |", "|---|---:|---:|---:|"];
  for (const target of targets) {
    const list = runs.get(target.name)!;
    lines.push(`| ${target.name} | ${fixed(median(list.map((run) => run.requestsPerSecond)))} | ${fixed(median(list.map((run) => run.p99Ms)), 2)} | ${fixed(median(list.map((run) => run.cpu)), 1)} |`);
  }
  const extra = median(onRuns!.map((run, index) => run.cpu - offRuns![index]!.cpu));
  process.stdout.write(
    `\nMetrics cost, 1 load thread × ${connections} connections, median of ${rounds} rounds × ${seconds}s\n\n${lines.join("\n")}\n\nmetrics add ${fixed(extra, 1)} µs CPU per request (median of per-round differences)\n`,
  );
}

if (sections.has("workers")) {
  // All cores: the CLI with workers: 1 and workers: 2, alternating rounds (benchmarks/workers.ts).
  process.stdout.write(await benchWorkers(connections, seconds, rounds, script("upstream")));
}

if (sections.has("grpc")) {
  // REST/JSON → gRPC unary: Rosetta (wrk → HTTP) on each unary transport — its own HTTP/2 client ("http2", the
  // default) and the earlier node:http2 one ("node-http2") — next to a direct grpc-js client loop, alternating rounds.
  const grpcUpstream = await startProcess("grpc-upstream", script("grpc-upstream"));
  const grpcTarget = `127.0.0.1:${grpcUpstream.port}`;
  const [own, node] = await Promise.all(["http2", "node-http2"].map((transport) => startProcess(`rosetta-grpc-${transport}`, script("rosetta-grpc"), [grpcTarget, transport])));
  if (own === undefined || node === undefined) throw new Error("the two Rosetta processes did not start");
  const urlOf = (gateway: BenchProcess) => `http://127.0.0.1:${gateway.port}/v1/shelves/1`;
  type Measured = LoadResult & { cpuMicrosPerRequest: number };
  const measure = async (gateway: BenchProcess): Promise<Measured> => {
    const before = cpuMicros(gateway.pid);
    const load = await runLoad(urlOf(gateway), seconds, connections);
    return { ...load, cpuMicrosPerRequest: (cpuMicros(gateway.pid) - before) / load.requests };
  };
  for (const gateway of [own, node]) await runLoad(urlOf(gateway), 2, connections);
  const grpcRuns: Array<{ direct: DirectLoop; own: Measured; node: Measured }> = [];
  for (let round = 0; round < rounds; round++) {
    const direct = await runClientLoop(script("grpc-client-loop"), grpcTarget, seconds, connections);
    // The order of the two transports flips every round, so a drift of the machine hits both alike.
    let ownRun: Measured;
    let nodeRun: Measured;
    if (round % 2 === 0) {
      ownRun = await measure(own);
      nodeRun = await measure(node);
    } else {
      nodeRun = await measure(node);
      ownRun = await measure(own);
    }
    grpcRuns.push({ direct, own: ownRun, node: nodeRun });
    process.stderr.write(
      `round ${round + 1} gRPC direct: ${direct.requestsPerSecond.toFixed(0)} calls/s, ${direct.cpuMicrosPerRequest.toFixed(1)} µs CPU/call; Rosetta (http2): ${ownRun.requestsPerSecond.toFixed(0)} req/s, ${ownRun.cpuMicrosPerRequest.toFixed(1)} µs CPU/req; Rosetta (node-http2): ${nodeRun.requestsPerSecond.toFixed(0)} req/s, ${nodeRun.cpuMicrosPerRequest.toFixed(1)} µs CPU/req\n`,
    );
  }
  await Promise.all([own.stop(), node.stop(), grpcUpstream.stop()]);
  const row = (name: string, pick: (run: (typeof grpcRuns)[number]) => Measured | DirectLoop, versusOld: string) =>
    `| ${name} | ${fixed(median(grpcRuns.map((run) => pick(run).requestsPerSecond)))} | ${fixed(median(grpcRuns.map((run) => pick(run).p50Ms)), 2)} | ${fixed(median(grpcRuns.map((run) => pick(run).p99Ms)), 2)} | ${fixed(median(grpcRuns.map((run) => pick(run).cpuMicrosPerRequest)), 1)} | ${fixed(median(grpcRuns.map((run) => pick(run).requestsPerSecond / run.direct.requestsPerSecond)), 2)} | ${versusOld} |`;
  const cpuRatio = median(grpcRuns.map((run) => run.own.cpuMicrosPerRequest / run.node.cpuMicrosPerRequest));
  const grpcLines = [
    "| target | requests/s | p50 ms | p99 ms | CPU µs/request (that process) | × direct (req/s) | CPU × node-http2 transport |",
    "|---|---:|---:|---:|---:|---:|---:|",
    row("direct @grpc/grpc-js client loop", (run) => run.direct, ""),
    row("Rosetta REST/JSON → gRPC, own HTTP/2 client (`http2`)", (run) => run.own, fixed(cpuRatio, 2)),
    row("Rosetta REST/JSON → gRPC, node:http2 client (`node-http2`)", (run) => run.node, "1.00"),
  ];
  process.stdout.write(`\nREST/JSON → gRPC unary (GetShelf, ~60-byte message), ${connections} in flight, median of ${rounds} rounds × ${seconds}s\n\n${grpcLines.join("\n")}\n`);
}

if (sections.has("peers-http")) {
  const lines = await benchPeersHttp(script, seconds, rounds, connections);
  process.stdout.write(
    `\nPeers, HTTP → HTTP (~200-byte JSON, wrk -t1 -c${connections}, median of ${rounds} rounds × ${seconds}s; each proxy's CPU against the upstream's own per request, direct)\n\n${lines.join("\n")}\n`,
  );
}

if (sections.has("peers-grpc")) {
  const lines = await benchPeersGrpc(script, seconds, rounds, connections);
  process.stdout.write(
    `\nPeers, REST/JSON → gRPC unary (GET /v1/orders/{id}, ~170-byte JSON answer, wrk -t1 -c${connections}, median of ${rounds} rounds × ${seconds}s; the same upstream process behind both gateways)\n\n${lines.join("\n")}\n`,
  );
}

if (sections.has("xml")) {
  const xml = await benchXmlVersusJson(script, seconds, rounds, connections);
  process.stdout.write(
    `\nXML → gRPC → XML next to JSON → gRPC → JSON (PATCH UpdateBook, the book echoed back), ${connections} in flight, median of ${rounds} rounds × ${seconds}s\n\n${xml.lines.join("\n")}\n`,
  );
  process.stdout.write(`\nEvent-loop delay while 4 callers send 1 MiB XML bodies (and get 1 MiB XML back), ${seconds}s\n\n${xml.loopLines.join("\n")}\n`);
}

if (sections.has("tracing")) {
  const lines = await benchTracing(script, seconds, rounds, connections);
  process.stdout.write(
    `\nAccess log and tracing cost: HTTP→HTTP, one route, 1 load thread × ${connections} connections, alternating rounds, median of ${rounds} rounds × ${seconds}s\n\n${lines.join("\n")}\n`,
  );
}

if (sections.has("listeners")) {
  const lines = await benchListeners(script, seconds, rounds, connections);
  process.stdout.write(
    `\nOne small unary call over each listener to the same gRPC and HTTP upstreams (one Rosetta process), ${connections} in flight, median of ${rounds} rounds × ${seconds}s\n\n${lines.join("\n")}\n`,
  );
}

if (sections.has("policies")) {
  const lines = await benchPolicies(script, seconds, rounds, connections);
  process.stdout.write(`\nPolicy overhead, HTTP→HTTP through one Rosetta process, 1 load thread × ${connections} connections, median of ${rounds} rounds × ${seconds}s\n\n${lines.join("\n")}\n`);
}

if (sections.has("eventloop")) await benchEventLoop(script, seconds);
if (sections.has("slowloris")) await benchSlowloris(script);
if (sections.has("slowbody")) await benchSlowBody(script, seconds);

if (sections.has("router")) {
  const router = benchRouter();
  process.stdout.write(
    `\nRouter, ${router.routes} routes: trie ${router.trieNsPerMatch.toFixed(0)} ns/match; linear regex scan ${(router.linearNsPerMatch / 1000).toFixed(1)} µs/match (${(router.linearNsPerMatch / router.trieNsPerMatch).toFixed(0)}× slower)\n`,
  );
}
