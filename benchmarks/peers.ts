import { cpuMicros, median, runLoad, startProcess, type BenchProcess, type LoadResult } from "./harness.js";
import { findBuilt, findProgram, startHaproxy, startNginx, startReporting, type Peer } from "./peer-programs.js";

/**
 * Rosetta next to the best gateways of each path, in one run (issue 16):
 * HTTP → HTTP next to nginx, HAProxy and the bare undici probe, charged
 * against the node:http upstream's own CPU per request; REST/JSON → gRPC
 * next to grpc-gateway against the same grpc-go (and grpc-js) upstream.
 * Targets take turns in every round (the order rotates from round to round),
 * ratios are taken within a round and their medians reported.
 */

interface Target {
  readonly name: string;
  readonly url: string;
  /** The process whose CPU is charged to each request. */
  readonly process: BenchProcess;
  /** The upstream behind it, whose CPU is reported alongside. */
  readonly upstream: BenchProcess;
}

interface Measured extends LoadResult {
  readonly cpu: number;
  readonly upstreamCpu: number;
}

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

/** One request through a target must answer 200 with the order, or the figures would measure an error path. */
async function check(target: Target, expect: string): Promise<void> {
  const response = await fetch(target.url);
  const body = await response.text();
  if (response.status !== 200 || !body.includes(expect)) throw new Error(`${target.name} answered ${response.status} ${body.slice(0, 200)} to ${target.url}`);
}

async function measure(targets: readonly Target[], seconds: number, rounds: number, connections: number): Promise<Map<string, Measured[]>> {
  for (const target of targets) await runLoad(target.url, 2, connections); // warm-up: JIT, pools, upstream connections
  const results = new Map<string, Measured[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so drift in the shared machine's speed does not favour one target.
    const order = targets.map((_, index) => targets[(index + round) % targets.length] as Target);
    for (const target of order) {
      const before = cpuMicros(target.process.pid);
      const upstreamBefore = cpuMicros(target.upstream.pid);
      const load = await runLoad(target.url, seconds, connections);
      const cpu = (cpuMicros(target.process.pid) - before) / load.requests;
      const upstreamCpu = target.process === target.upstream ? cpu : (cpuMicros(target.upstream.pid) - upstreamBefore) / load.requests;
      results.get(target.name)?.push({ ...load, cpu, upstreamCpu });
      process.stderr.write(
        `round ${round + 1} ${target.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${cpu.toFixed(1)} µs CPU/req, upstream ${upstreamCpu.toFixed(1)} µs/req${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`,
      );
    }
  }
  return results;
}

/** The median over rounds of a per-round ratio between two targets' runs. */
function medianRatio(top: readonly Measured[] | undefined, bottom: readonly Measured[] | undefined, pick: (run: Measured) => number): number {
  if (top === undefined || bottom === undefined) return Number.NaN;
  return median(top.map((run, index) => pick(run) / pick(bottom[index] ?? run)));
}

function usable(peer: Peer, skipped: string[]): string | undefined {
  if (peer.found) return peer.file;
  skipped.push(peer.skipLine);
  process.stderr.write(`${peer.skipLine}\n`);
  return undefined;
}

/** HTTP → HTTP: the upstream direct, Rosetta, nginx, HAProxy and the undici probe. Returns the report's lines. */
export async function benchPeersHttp(script: (name: string) => string, seconds: number, rounds: number, connections: number): Promise<string[]> {
  const skipped: string[] = [];
  const nginx = usable(findProgram("nginx", "nginx"), skipped);
  const haproxy = usable(findProgram("haproxy", "haproxy"), skipped);
  const upstream = await startProcess("upstream", script("upstream"));
  const origin = `http://127.0.0.1:${upstream.port}`;
  const targets: Target[] = [{ name: "node:http upstream, direct", url: `${origin}/v2/orders/1`, process: upstream, upstream }];
  const proxies: BenchProcess[] = [];
  const add = async (name: string, starting: Promise<BenchProcess>) => {
    const proxy = await starting;
    proxies.push(proxy);
    targets.push({ name, url: `http://127.0.0.1:${proxy.port}/api/orders/1`, process: proxy, upstream });
  };
  try {
    await add("Rosetta", startProcess("rosetta", script("rosetta"), [origin]));
    if (nginx !== undefined) await add("nginx", startNginx(nginx, upstream.port));
    if (haproxy !== undefined) await add("HAProxy", startHaproxy(haproxy, upstream.port));
    await add("undici Pool.stream probe", startProcess("undici-probe", script("undici-probe"), [origin]));
    for (const target of targets) await check(target, "Genly Ai");
    const results = await measure(targets, seconds, rounds, connections);
    const direct = results.get(targets[0]?.name ?? "");
    const rosetta = results.get("Rosetta");
    const lines = ["| target | requests/s | p99 ms | CPU µs/request (that process) | CPU × the upstream's own | Rosetta's CPU × this | × direct (req/s) |", "|---|---:|---:|---:|---:|---:|---:|"];
    for (const target of targets) {
      const runs = results.get(target.name) ?? [];
      lines.push(
        `| ${target.name} | ${fixed(median(runs.map((run) => run.requestsPerSecond)))} | ${fixed(median(runs.map((run) => run.p99Ms)), 2)} | ${fixed(median(runs.map((run) => run.cpu)), 1)} | ${fixed(
          medianRatio(runs, direct, (run) => run.cpu),
          2,
        )} | ${
          target.process === upstream
            ? "n/a"
            : fixed(
                medianRatio(rosetta, runs, (run) => run.cpu),
                2,
              )
        } | ${fixed(
          medianRatio(runs, direct, (run) => run.requestsPerSecond),
          2,
        )} |`,
      );
    }
    return [...lines, ...skipped.map((line) => `\n(${line})`)];
  } finally {
    await Promise.all([...proxies, upstream].map((child) => child.stop()));
  }
}

/** REST/JSON → gRPC: Rosetta and grpc-gateway, each against the same grpc-go upstream and the same grpc-js upstream. Returns the report's lines. */
export async function benchPeersGrpc(script: (name: string) => string, seconds: number, rounds: number, connections: number): Promise<string[]> {
  const skipped: string[] = [];
  const gatewayFile = usable(findBuilt("grpc-gateway-orders"), skipped);
  const goUpstreamFile = usable(findBuilt("grpc-go-orders"), skipped);
  const upstreams: Array<{ label: string; process: BenchProcess }> = [];
  const gateways: BenchProcess[] = [];
  const targets: Target[] = [];
  try {
    if (goUpstreamFile !== undefined) upstreams.push({ label: "grpc-go", process: await startReporting("grpc-go-orders", goUpstreamFile, []) });
    upstreams.push({ label: "grpc-js", process: await startProcess("orders-grpc-upstream", script("orders-grpc-upstream")) });
    for (const upstream of upstreams) {
      const address = `127.0.0.1:${upstream.process.port}`;
      const rosetta = await startProcess(`rosetta → ${upstream.label}`, script("rosetta-orders"), [address]);
      gateways.push(rosetta);
      targets.push({ name: `Rosetta → ${upstream.label}`, url: `http://127.0.0.1:${rosetta.port}/v1/orders/order-000123`, process: rosetta, upstream: upstream.process });
      if (gatewayFile === undefined) continue;
      const gateway = await startReporting(`grpc-gateway → ${upstream.label}`, gatewayFile, [address]);
      gateways.push(gateway);
      targets.push({ name: `grpc-gateway → ${upstream.label}`, url: `http://127.0.0.1:${gateway.port}/v1/orders/order-000123`, process: gateway, upstream: upstream.process });
    }
    for (const target of targets) await check(target, "Genly Ai");
    const results = await measure(targets, seconds, rounds, connections);
    const lines = [
      "| gateway → upstream | requests/s | p99 ms | gateway CPU µs/request | upstream CPU µs/request | Rosetta's CPU × grpc-gateway's | Rosetta's req/s × grpc-gateway's |",
      "|---|---:|---:|---:|---:|---:|---:|",
    ];
    for (const target of targets) {
      const runs = results.get(target.name) ?? [];
      const label = target.name.slice(target.name.indexOf("→") + 2);
      const isRosetta = target.name.startsWith("Rosetta");
      const peer = results.get(`grpc-gateway → ${label}`);
      const cpuRatio = isRosetta ? medianRatio(runs, peer, (run) => run.cpu) : peer === undefined ? Number.NaN : 1;
      const rateRatio = isRosetta ? medianRatio(runs, peer, (run) => run.requestsPerSecond) : peer === undefined ? Number.NaN : 1;
      lines.push(
        `| ${target.name} | ${fixed(median(runs.map((run) => run.requestsPerSecond)))} | ${fixed(median(runs.map((run) => run.p99Ms)), 2)} | ${fixed(median(runs.map((run) => run.cpu)), 1)} | ${fixed(median(runs.map((run) => run.upstreamCpu)), 1)} | ${fixed(cpuRatio, 2)} | ${fixed(rateRatio, 2)} |`,
      );
    }
    return [...lines, ...skipped.map((line) => `\n(${line})`)];
  } finally {
    await Promise.all([...gateways, ...upstreams.map((upstream) => upstream.process)].map((child) => child.stop()));
  }
}
