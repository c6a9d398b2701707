import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, runClientLoop, startProcess, type DirectLoop } from "./harness.js";

/**
 * The generator cost of `rosetta bench`'s targets against the cheapest
 * clients the benchmarks already had: the gRPC target against a @grpc/grpc-js
 * client with pre-encoded bytes (grpc-client-loop), the ws and tcp targets
 * against the hand-written frame loop (frame-client-loop). Same upstream,
 * same one connection and calls in flight, alternating within each round;
 * the figure is the ratio of the generators' own CPU per request (and of
 * their requests/s), per round and its median. Frames are measured against
 * a bare echo server, so that only the generators cost (through a gateway
 * the gateway's own noise swamps the difference on a shared machine).
 *
 *   node dist/benchmarks/bench-targets.js [seconds=5] [rounds=3] [concurrency=32]
 */
const here = dirname(fileURLToPath(import.meta.url));
const script = (name: string) => join(here, "processes", `${name}.js`);
const [seconds = 5, rounds = 3, concurrency = 32] = process.argv.slice(2).map(Number);

const grpcUpstream = await startProcess("grpc-upstream", script("grpc-upstream"));
// A frame server that costs next to nothing, so the generators' own cost shows.
const echo = await startProcess("frame-echo", script("frame-echo"));
const echoWs = Number(echo.info.ws);
const grpcTarget = `127.0.0.1:${grpcUpstream.port}`;
const pairs: Array<{ name: string; ours: () => Promise<DirectLoop>; peer: () => Promise<DirectLoop> }> = [
  {
    name: "gRPC direct (vs grpc-js)",
    ours: () => runClientLoop(script("bench-target-loop"), "grpc", seconds, concurrency, [`grpc://${grpcTarget}/rosetta.demo.v1.Bookstore/GetShelf`], ['{"shelf": "1"}']),
    peer: () => runClientLoop(script("grpc-client-loop"), grpcTarget, seconds, concurrency),
  },

  {
    name: "WebSocket frames, echo server (vs frame loop)",
    ours: () => runClientLoop(script("bench-target-loop"), "ws", seconds, concurrency, [`ws://127.0.0.1:${echoWs}/`], ["/v1/shelves/1"]),
    peer: () => runClientLoop(script("frame-client-loop"), `ws:${echoWs}:/v1/shelves/1`, seconds, concurrency),
  },
  {
    name: "TCP frames, echo server (vs frame loop)",
    ours: () => runClientLoop(script("bench-target-loop"), "tcp", seconds, concurrency, [`tcp://127.0.0.1:${echo.port}`], ["/v1/shelves/1"]),
    peer: () => runClientLoop(script("frame-client-loop"), `tcp:${echo.port}:/v1/shelves/1`, seconds, concurrency),
  },
];
const lines = ["| target | generator CPU µs/request, ours ÷ peer (per round → median) | requests/s, ours ÷ peer (median) | errors |", "|---|---|---:|---:|"];
for (const pair of pairs) {
  const cpu: number[] = [];
  const rate: number[] = [];
  let errors = 0;
  for (let round = 0; round < rounds; round++) {
    const [ours, peer] = round % 2 === 0 ? [await pair.ours(), await pair.peer()] : [await pair.peer(), await pair.ours()].reverse();
    if (ours === undefined || peer === undefined) throw new Error("a loop gave no report");
    cpu.push(ours.cpuMicrosPerRequest / peer.cpuMicrosPerRequest);
    rate.push(ours.requestsPerSecond / peer.requestsPerSecond);
    errors += ours.errors + peer.errors;
    process.stderr.write(
      `round ${round + 1} ${pair.name}: ours ${ours.cpuMicrosPerRequest.toFixed(1)} µs/req ${ours.requestsPerSecond.toFixed(0)} req/s; peer ${peer.cpuMicrosPerRequest.toFixed(1)} µs/req ${peer.requestsPerSecond.toFixed(0)} req/s\n`,
    );
  }
  lines.push(`| ${pair.name} | ${cpu.map((value) => value.toFixed(2)).join(", ")} → **${median(cpu).toFixed(2)}** | ${median(rate).toFixed(2)} | ${errors} |`);
}
await Promise.all([grpcUpstream, echo].map((child) => child.stop()));
process.stdout.write(`${lines.join("\n")}\n`);
