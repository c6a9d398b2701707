import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import type { BenchReport } from "../../src/bench/bench-report.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../helpers/grpc-server.js";

/**
 * `rosetta bench` end to end: bin/rosetta.js in a child process against a
 * real Rosetta gateway (HTTP, WebSocket, TCP and UDP listeners) in front of a
 * real @grpc/grpc-js server, and against that server directly over gRPC (types
 * from --proto and from reflection); each run's --json report is checked for
 * its counts, its protocol and its errors (none).
 */
const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));
const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-e2e-"));
let grpc: TestGrpcServer;
let gateway: TestGateway;
const port = (name: string) => gateway.gateway.listeners.find((listener) => listener.name === name)?.address().port ?? 0;
const getShelf = () => `grpc://${grpc.target}/rosetta.test.v1.Library/GetShelf`;
const proto = ["--proto", "rosetta/test/v1/library.proto", "--import-path", "test/protos"];
// Short runs: one load thread, no warm-up, a few hundred requests.
const short = ["--requests", "200", "--connections", "2", "--in-flight", "8", "--warmup", "0", "--workers", "1"];

test.before(async () => {
  grpc = await startLibraryServer({
    configure: (server) => new ReflectionService(loadSync("rosetta/test/v1/library.proto", { includeDirs: ["test/protos", "protos"] })).addToServer(server),
  });
  gateway = await startGateway({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0, path: "/frames" },
      { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0 },
      // A benchmark sends far more than the default 200 datagrams/s per source.
      { name: "udp", protocol: "udp", host: "127.0.0.1", port: 0, ratePerSource: 1_000_000 },
    ],
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] } },
  });
});

test.after(async () => {
  await gateway.stop(500);
  await grpc.close();
});

/** Runs `rosetta bench ARGS --json FILE`; the exit code, stderr and the report. */
function bench(name: string, args: readonly string[]): Promise<{ code: number; stderr: string; stdout: string; report: BenchReport | undefined }> {
  const file = join(directory, `${name}.json`);
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, "bench", ...args, "--json", file], { timeout: 60_000 }, (error, stdout, stderr) => {
      let report: BenchReport | undefined;
      try {
        report = JSON.parse(readFileSync(file, "utf8")) as BenchReport;
      } catch {
        report = undefined;
      }
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr, report });
    });
  });
}

test("every target kind on real servers: ws, tcp and udp frames through Rosetta, gRPC directly with --proto and with reflection", async () => {
  const runs: Array<[string, string, string[], string]> = [
    ["ws", "ws", [`ws://127.0.0.1:${port("ws")}/frames`, "--path", "/v1/shelves/7"], "7"],
    ["tcp", "tcp", ["--url", `tcp://127.0.0.1:${port("tcp")}`, "--path", "/v1/shelves/8"], "8"],
    ["udp", "udp", [`udp://127.0.0.1:${port("udp")}`, "--path", "/v1/shelves/9", "--pad", "600"], "9"],
    ["grpc-proto", "grpc", [getShelf(), ...proto, "--body", '{"shelf": "10"}'], "10"],
    ["grpc-reflection", "grpc", [getShelf(), "--body", '{"shelf": "11"}'], "11"],
  ];
  // Side by side: each run is its own process with one load thread.
  const results = await Promise.all(runs.map(([name, , args]) => bench(name, [...args, ...short])));
  runs.forEach(([name, protocol, , shelf], index) => {
    const { code, stderr, stdout, report } = results[index]!;
    assert.is(code, 0, `${name}: ${stderr}`);
    assert.match(stdout, /req\/s/, name);
    const target = report?.targets[0];
    assert.ok(target !== undefined, `${name}: a report`);
    assert.is(target.protocol, protocol, name);
    assert.is(target.requests, 200, name);
    assert.equal(target.errors, {}, name);
    assert.ok(target.bytes > 200 * 10, `${name}: ${target.bytes} bytes of replies`);
    assert.ok(target.latencyMs.p50 > 0, name);
    // Every request reached the upstream (padded UDP datagrams, reflected types and all).
    assert.is(grpc.calls.filter((call) => call.method === "GetShelf" && call.request.shelf === shelf).length, 200, `${name}: the upstream saw every call`);
  });
});

test("--compare: the same gRPC method directly and through Rosetta over REST, in alternating rounds, with the ratios (the README's example)", async () => {
  const { code, stderr, stdout, report } = await bench("compare", [
    "--url",
    getShelf(),
    ...proto,
    "--body",
    '{"shelf": "{{randInt 1 100}}"}',
    "--compare",
    `http://127.0.0.1:${port("web")}/v1/shelves/1`,
    "--compare-method",
    "GET",
    "--compare-body",
    "",
    "--rounds",
    "2",
    "--requests",
    "100",
    "--connections",
    "4",
    "--warmup",
    "0",
    "--workers",
    "1",
  ]);
  assert.is(code, 0, stderr);
  assert.match(stdout, /first over second/);
  assert.ok(report !== undefined);
  assert.equal(
    report.targets.map((target) => [target.protocol, target.requests, target.errors]),
    [
      ["grpc", 200, {}],
      ["http", 200, {}],
    ],
  );
  assert.equal(
    report.rounds.map((round) => report.targets.findIndex((target) => target.name === round.target)),
    [0, 1, 0, 1],
  );
  const rps = report.ratios?.find((ratio) => ratio.figure === "rps");
  assert.ok(rps !== undefined, JSON.stringify(report.ratios));
  assert.is(rps.perRound.length, 2);
  assert.ok(Number.isFinite(rps.median) && rps.median > 0, `median ${rps.median}`);
  assert.ok(report.ratios?.some((ratio) => ratio.figure === "p99"));
});

test.run();
