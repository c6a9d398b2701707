import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, runLoad, startProcess, fixedRequest, type BenchProcess, type LoadResult } from "./harness.js";
import { book } from "./xml-vs-json.js";

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

async function loopStats(process_: BenchProcess): Promise<{ p50: number; p99: number; max: number }> {
  const response = await fetch(`http://127.0.0.1:${process_.info.statsPort as number}/`);
  return (await response.json()) as { p50: number; p99: number; max: number };
}

/**
 * Issue 10 item 5: small GETs of an order (through Rosetta to a node:http
 * upstream) while 4 callers PATCH ~1 MiB XML and 2 callers ~2.4 MB JSON books
 * to a gRPC upstream (which answers a small book), with big bodies offloaded (the defaults) and with everything on the
 * main thread (`workers: 0`), one after the other in the same run. The
 * event-loop delay is Rosetta's own monitorEventLoopDelay, read over a side
 * port. Three load threads (one each), the two upstreams and Rosetta
 * with its worker threads share the 2 cores, unpinned.
 */
export async function benchEventLoop(script: (name: string) => string, seconds: number): Promise<string[]> {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-"));
  const xml = book(35_000, 0).xml;
  const json = book(62_000, 44_000).json;
  const headers = { accept: "application/json" };
  const xmlRequest = fixedRequest(directory, "big-xml", "PATCH", xml, { ...headers, "content-type": "application/xml" });
  const jsonRequest = fixedRequest(directory, "big-json", "PATCH", json, { ...headers, "content-type": "application/json" });
  const upstream = await startProcess("grpc-echo-upstream", script("grpc-echo-upstream"), ["small"]);
  const httpUpstream = await startProcess("upstream", script("upstream"));
  const configs = [
    { label: "offloaded (defaults: `workers: 1`, `offloadAbove: 64KiB`)", codecs: {} },
    { label: "main thread (`codecs.json.workers: 0`, `codecs.xml.workers: 0`)", codecs: { json: { workers: 0 }, xml: { workers: 0 } } },
  ];
  const lines = [
    `| big bodies decoded on | small req/s | small p99 ms | event-loop p99 ms | event-loop max ms | 1 MiB XML req/s | 2.4 MB JSON req/s | errors |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  try {
    for (const config of configs) {
      const rosetta = await startProcess("rosetta-big-bodies", script("rosetta-big-bodies"), [`127.0.0.1:${upstream.port}`, `http://127.0.0.1:${httpUpstream.port}`, JSON.stringify(config.codecs)]);
      try {
        const base = `http://127.0.0.1:${rosetta.port}`;
        const bookUrl = `${base}/v1/shelves/1/books/1`;
        // Warm-up: JIT, the workers, the upstream connection.
        await Promise.all([runLoad(bookUrl, 2, 1, xmlRequest, 10), runLoad(bookUrl, 2, 1, jsonRequest, 10), runLoad(`${base}/api/orders/1`, 2, 4)]);
        await loopStats(rosetta);
        const [big, bigJson, small] = await Promise.all([runLoad(bookUrl, seconds, 4, xmlRequest, 10), runLoad(bookUrl, seconds, 2, jsonRequest, 10), runLoad(`${base}/api/orders/1`, seconds, 4)]);
        const loop = await loopStats(rosetta);
        const errors = big.errors + bigJson.errors + small.errors;
        lines.push(
          `| ${config.label} | ${fixed(small.requestsPerSecond)} | ${fixed(small.p99Ms, 1)} | ${fixed(loop.p99, 1)} | ${fixed(loop.max, 1)} | ${fixed(big.requestsPerSecond, 1)} | ${fixed(bigJson.requestsPerSecond, 1)} | ${errors} |`,
        );
        process.stderr.write(`event loop, ${config.label}: small p99 ${fixed(small.p99Ms, 1)} ms, loop p99 ${fixed(loop.p99, 1)} ms (max ${fixed(loop.max, 1)})\n`);
      } finally {
        await rosetta.stop();
      }
    }
  } finally {
    await Promise.all([upstream.stop(), httpUpstream.stop()]);
    rmSync(directory, { recursive: true, force: true });
  }
  process.stdout.write(
    `\nEvent loop under big bodies (issue 10 item 5): 4 callers PATCH ${xml.length}-byte XML and 2 callers ${json.length}-byte JSON to gRPC while 4 callers GET a small order from an HTTP upstream, ${seconds}s each; 3 load threads (this process), both upstreams and Rosetta (with its workers) share the 2 cores unpinned\n\n${lines.join("\n")}\n`,
  );
  return lines;
}

/** Opens a raw connection and resolves once it is connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * Issue 10 item 3: `sockets` connections each send a partial request head,
 * then one more header byte every second, against a listener whose
 * headersTimeout is the default 10s; measures when Rosetta closes each one
 * (at most `limitSeconds`, then the rest are counted as still open). The
 * sockets live in this benchmark process; Rosetta and its upstream share the
 * 2 cores with it, unpinned.
 */
export async function benchSlowloris(script: (name: string) => string, sockets = 100, limitSeconds = 60): Promise<string[]> {
  const upstream = await startProcess("upstream", script("upstream"));
  const rosetta = await startProcess("rosetta", script("rosetta"), [`http://127.0.0.1:${upstream.port}`]);
  const closedAfter: number[] = [];
  let answered408 = 0;
  const timers: NodeJS.Timeout[] = [];
  const connections: Socket[] = [];
  try {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: sockets }, async () => {
        const socket = await open(rosetta.port);
        connections.push(socket);
        socket.on("error", () => undefined);
        socket.on("data", (chunk: Buffer) => {
          if (chunk.toString("latin1").startsWith("HTTP/1.1 408")) answered408++;
        });
        socket.write("GET /api/orders/1 HTTP/1.1\r\nHost: bench\r\nX-Slow: ");
        const timer = setInterval(() => socket.writable && socket.write("a"), 1000);
        timers.push(timer);
        await new Promise<void>((resolve) => {
          const limit = setTimeout(resolve, limitSeconds * 1000);
          socket.once("close", () => {
            clearTimeout(limit);
            closedAfter.push((performance.now() - started) / 1000);
            resolve();
          });
        });
        clearInterval(timer);
      }),
    );
  } finally {
    for (const timer of timers) clearInterval(timer);
    for (const socket of connections) socket.destroy();
    await Promise.all([rosetta.stop(), upstream.stop()]);
  }
  const sorted = [...closedAfter].sort((a, b) => a - b);
  const lines = [
    `| sockets | headersTimeout | closed | still open after ${limitSeconds}s | first closed s | median s | last closed s | answered 408 |`,
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${sockets} | 10s | ${sorted.length} | ${sockets - sorted.length} | ${fixed(sorted[0] ?? Number.NaN, 1)} | ${fixed(sorted.length === 0 ? Number.NaN : median(sorted), 1)} | ${fixed(sorted.at(-1) ?? Number.NaN, 1)} | ${answered408} |`,
  ];
  process.stdout.write(
    `\nSlowloris (issue 10 item 3): ${sockets} sockets send a partial head, then one header byte a second, against headersTimeout 10s; times from the first connect; the sockets live in the benchmark process, Rosetta and the upstream share the 2 cores with it unpinned\n\n${lines.join("\n")}\n`,
  );
  return lines;
}

/**
 * Issue 10 item 2: normal callers (the load engine, 50 connections, GET through Rosetta to
 * a node:http upstream) without and then under an attack of `attackers`
 * clients each POSTing a 1 MiB body (Content-Length) at one byte every 2 s.
 * The attack runs only for the measurement (it would take 24 days to finish),
 * so the whole benchmark takes about 2 × `seconds` + 5 s. The load thread, the attackers
 * (sockets in this benchmark process), Rosetta and the upstream share the 2
 * cores, unpinned.
 */
export async function benchSlowBody(script: (name: string) => string, seconds: number, attackers = 300): Promise<string[]> {
  const upstream = await startProcess("upstream", script("upstream"));
  const rosetta = await startProcess("rosetta", script("rosetta"), [`http://127.0.0.1:${upstream.port}`]);
  const url = `http://127.0.0.1:${rosetta.port}/api/orders/1`;
  const sockets: Socket[] = [];
  let timer: NodeJS.Timeout | undefined;
  let calm: LoadResult;
  let attacked: LoadResult;
  let stillOpen = 0;
  try {
    await runLoad(url, 2, 50);
    calm = await runLoad(url, seconds, 50);
    for (let index = 0; index < attackers; index++) {
      const socket = await open(rosetta.port);
      socket.on("error", () => undefined);
      socket.write(`POST /api/uploads/${index} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
      sockets.push(socket);
    }
    timer = setInterval(() => {
      for (const socket of sockets) if (socket.writable) socket.write("a");
    }, 2000);
    // Let every attacker's request reach the gateway (and take its upstream connection) first.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    attacked = await runLoad(url, seconds, 50);
    stillOpen = sockets.filter((socket) => !socket.destroyed && socket.writable).length;
  } finally {
    clearInterval(timer);
    for (const socket of sockets) socket.destroy();
    await Promise.all([rosetta.stop(), upstream.stop()]);
  }
  const p99 = (load: LoadResult) => (load.requests > 0 ? fixed(load.p99Ms, 1) : "none completed");
  const lines = [
    "| normal callers | requests/s | p99 ms | errors |",
    "|---|---:|---:|---:|",
    `| without attack | ${fixed(calm.requestsPerSecond)} | ${p99(calm)} | ${calm.errors} |`,
    `| under attack (${attackers} slow bodies, ${stillOpen} still open at the end) | ${fixed(attacked.requestsPerSecond)} | ${p99(attacked)} | ${attacked.errors} |`,
    `| rate under attack / without | ${fixed(attacked.requestsPerSecond / calm.requestsPerSecond, 2)} | | |`,
  ];
  process.stdout.write(
    `\nSlow request bodies (issue 10 item 2): ${attackers} clients send 1 MiB bodies at one byte every 2 s while 1 load thread × 50 connections GETs through Rosetta to a node:http upstream, ${seconds}s each; the load thread, the attackers (this process), Rosetta and the upstream share the 2 cores unpinned\n\n${lines.join("\n")}\n`,
  );
  return lines;
}
