import { cpuMicros, median, runClientLoop, runLoad, startProcess, type LoadResult } from "./harness.js";

interface Row {
  readonly listener: string;
  readonly upstream: string;
  readonly runs: Array<LoadResult & { gatewayCpuMicros: number; versusHttp: number }>;
}

/**
 * One small unary call (gRPC GetShelf; HTTP GET of one order) through the
 * same Rosetta process over HTTP (the load engine, one connection per call in flight)
 * and over WebSocket, TCP and UDP frames (one connection, the same number of
 * calls in flight, multiplexed by id). Listeners alternate within each round;
 * ratios are taken to HTTP within the round.
 */
export async function benchListeners(script: (name: string) => string, seconds: number, rounds: number, concurrency: number): Promise<string[]> {
  const grpcUpstream = await startProcess("grpc-upstream", script("grpc-upstream"));
  const httpUpstream = await startProcess("upstream", script("upstream"));
  const rosetta = await startProcess("rosetta-frames", script("rosetta-frames"), [`127.0.0.1:${grpcUpstream.port}`, `http://127.0.0.1:${httpUpstream.port}`]);
  const ports = rosetta.info as Record<string, number>;
  const upstreams = [
    { name: "gRPC", path: "/v1/shelves/1" },
    { name: "HTTP", path: "/api/orders/1" },
  ];
  const listeners = ["HTTP", "WebSocket", "TCP", "UDP"];
  const rows = new Map<string, Row>();
  const measure = async (listener: string, path: string): Promise<LoadResult> => {
    if (listener === "HTTP") return runLoad(`http://127.0.0.1:${rosetta.port}${path}`, seconds, concurrency);
    const protocol = listener === "WebSocket" ? "ws" : listener.toLowerCase();
    return runClientLoop(script("frame-client-loop"), `${protocol}:${ports[protocol]}:${path}`, seconds, concurrency);
  };
  for (const upstream of upstreams) await runLoad(`http://127.0.0.1:${rosetta.port}${upstream.path}`, 2, concurrency);
  for (let round = 0; round < rounds; round++) {
    for (const upstream of upstreams) {
      let httpRate = Number.NaN;
      for (const listener of listeners) {
        const before = cpuMicros(rosetta.pid);
        const load = await measure(listener, upstream.path);
        const gatewayCpuMicros = (cpuMicros(rosetta.pid) - before) / load.requests;
        if (listener === "HTTP") httpRate = load.requestsPerSecond;
        const key = `${listener}→${upstream.name}`;
        const row = rows.get(key) ?? rows.set(key, { listener, upstream: upstream.name, runs: [] }).get(key)!;
        row.runs.push({ ...load, gatewayCpuMicros, versusHttp: load.requestsPerSecond / httpRate });
        process.stderr.write(
          `round ${round + 1} ${key}: ${load.requestsPerSecond.toFixed(0)} req/s, p99 ${load.p99Ms.toFixed(2)} ms, ${gatewayCpuMicros.toFixed(1)} µs Rosetta CPU/req${load.errors > 0 ? `, ${load.errors} errors` : ""}\n`,
        );
      }
    }
  }
  await Promise.all([rosetta, grpcUpstream, httpUpstream].map((child) => child.stop()));
  const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
  const lines = ["| caller → upstream | requests/s | p50 ms | p99 ms | Rosetta CPU µs/request | × HTTP listener (req/s) |", "|---|---:|---:|---:|---:|---:|"];
  for (const row of rows.values()) {
    const pick = (field: (run: Row["runs"][number]) => number) => median(row.runs.map(field));
    lines.push(
      `| ${row.listener} → ${row.upstream} | ${fixed(pick((run) => run.requestsPerSecond))} | ${fixed(
        pick((run) => run.p50Ms),
        2,
      )} | ${fixed(
        pick((run) => run.p99Ms),
        2,
      )} | ${fixed(
        pick((run) => run.gatewayCpuMicros),
        1,
      )} | ${fixed(
        pick((run) => run.versusHttp),
        2,
      )} |`,
    );
  }
  return lines;
}
