import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { runBench } from "../../src/bench/run-bench.js";
import { countingServer, load, spec } from "./bench-servers.js";

test("closed loop, --requests: the report counts exactly the requests the server saw", async () => {
  const server = await countingServer();
  try {
    const report = await runBench({ targets: [{ name: "a", spec: spec(server.url) }], load: load({ requests: 300, connections: 6, workers: 2 }) });
    const [target] = report.targets;
    assert.is(target?.requests, 300);
    assert.is(server.seen(), 300);
    assert.equal(target?.errors, {});
    assert.ok((target?.bytes ?? 0) > 300 * 11, "bytes count heads and bodies");
    assert.ok((target?.latencyMs.p50 ?? 0) > 0 && (target?.latencyMs.max ?? 0) >= (target?.latencyMs.p99 ?? 0));
    assert.is(report.settings.mode, "closed");
  } finally {
    await server.close();
  }
});

test("closed loop, --duration without warm-up: requests reported = requests the server saw; with a warm-up, fewer", async () => {
  const server = await countingServer();
  try {
    const report = await runBench({ targets: [{ name: "a", spec: spec(server.url) }], load: load({ durationMs: 400 }) });
    assert.ok((report.targets[0]?.requests ?? 0) > 0);
    assert.is(report.targets[0]?.requests, server.seen());
    const before = server.seen();
    const warmed = await runBench({ targets: [{ name: "a", spec: spec(server.url) }], load: load({ durationMs: 300, warmupMs: 300 }) });
    assert.ok((warmed.targets[0]?.requests ?? 0) < server.seen() - before, "the warm-up's requests are not counted");
    assert.ok((warmed.targets[0]?.timeline.length ?? 0) >= 1);
  } finally {
    await server.close();
  }
});

test("pipelining and chunked responses: every request answered and counted", async () => {
  const server = await countingServer((_, response) => {
    response.write("part one,");
    response.end("part two");
  });
  try {
    const report = await runBench({ targets: [{ name: "a", spec: spec(server.url, { pipelining: 4 }) }], load: load({ requests: 200, connections: 2, workers: 1 }) });
    assert.is(report.targets[0]?.requests, 200);
    assert.is(server.seen(), 200);
    assert.equal(report.targets[0]?.errors, {});
  } finally {
    await server.close();
  }
});

test("errors by outcome: HTTP statuses, a server that closes connections (errno), one too slow (timeout)", async () => {
  const statuses = await countingServer((_, response, count) => {
    response.statusCode = count % 4 === 1 ? 500 : count % 4 === 2 ? 503 : 200;
    response.end("x");
  });
  const closing = await countingServer((request, response, count) => {
    if (count % 5 === 0) request.socket.destroy();
    else response.end("x");
  });
  const slow = await countingServer((_, response, count) => {
    if (count % 3 !== 0) response.end("x");
  });
  try {
    const byStatus = await runBench({ targets: [{ name: "statuses", spec: spec(statuses.url) }], load: load({ requests: 200 }) });
    assert.equal(byStatus.targets[0]?.errors, { "500": 50, "503": 50 });
    assert.is(byStatus.targets[0]?.requests, 200);

    const reset = await runBench({ targets: [{ name: "closing", spec: spec(closing.url) }], load: load({ requests: 100 }) });
    const resetErrors = reset.targets[0]?.errors ?? {};
    assert.ok((resetErrors.ECONNRESET ?? 0) >= 1, JSON.stringify(resetErrors));
    assert.is(reset.targets[0]?.requests, 100);
    assert.ok(
      Object.keys(resetErrors).every((key) => /^E[A-Z]+$/.test(key)),
      `errno outcomes: ${JSON.stringify(resetErrors)}`,
    );

    const timedOut = await runBench({ targets: [{ name: "slow", spec: spec(slow.url, { timeoutMs: 300 }) }], load: load({ requests: 30, connections: 3, workers: 1 }) });
    assert.ok((timedOut.targets[0]?.errors.timeout ?? 0) >= 1, JSON.stringify(timedOut.targets[0]?.errors));
    assert.is(timedOut.targets[0]?.requests, 30);
  } finally {
    await Promise.all([statuses.close(), closing.close(), slow.close()]);
  }
});

test("a target that refuses connections fails the run with the errno", async () => {
  const server = await countingServer();
  const url = server.url;
  await server.close();
  try {
    await runBench({ targets: [{ name: "gone", spec: spec(url) }], load: load({ requests: 10 }) });
    assert.unreachable("the run should fail");
  } catch (error) {
    assert.match(String(error), /ECONNREFUSED/);
  }
});

test("open loop: requests close to rate × duration, latency from when due and from when sent", async () => {
  const server = await countingServer();
  try {
    const report = await runBench({ targets: [{ name: "a", spec: spec(server.url) }], load: load({ mode: "open", rate: 200, durationMs: 1000, connections: 4 }) });
    const target = report.targets[0];
    assert.ok(target !== undefined);
    assert.ok(Math.abs(target.requests - 200) <= 10, `${target.requests} requests at 200/s for 1 s`);
    assert.is(server.seen(), target.requests);
    assert.ok(target.uncorrectedLatencyMs !== undefined, "open loop reports the uncorrected latency too");
    assert.ok(target.latencyMs.p50 >= target.uncorrectedLatencyMs.p50 * 0.99);
    assert.is(report.settings.rate, 200);
  } finally {
    await server.close();
  }
});

test("open loop: a stalled server shows in the corrected percentiles (requests due during the stall wait)", async () => {
  let stallUntil = 0;
  const server = await countingServer((_, response, count) => {
    if (count === 20) stallUntil = Date.now() + 400;
    const wait = stallUntil - Date.now();
    if (wait > 0) setTimeout(() => response.end("x"), wait);
    else response.end("x");
  });
  try {
    // One connection: while it waits, the requests falling due queue up behind it.
    const report = await runBench({ targets: [{ name: "a", spec: spec(server.url) }], load: load({ mode: "open", rate: 100, durationMs: 1000, connections: 1, workers: 1 }) });
    const target = report.targets[0];
    assert.ok(target?.uncorrectedLatencyMs !== undefined);
    assert.ok(target.latencyMs.p90 > 100, `corrected p90 ${target.latencyMs.p90} ms`);
    assert.ok(target.uncorrectedLatencyMs.p90 < target.latencyMs.p90, "measured from the send, the queueing is hidden");
  } finally {
    await server.close();
  }
});

test("--compare: rounds alternate A B A B and carry per-round ratios with their median", async () => {
  const a = await countingServer();
  const b = await countingServer();
  try {
    const report = await runBench({
      targets: [
        { name: "A", spec: spec(a.url) },
        { name: "B", spec: spec(b.url) },
      ],
      load: load({ durationMs: 250, rounds: 2 }),
    });
    assert.equal(
      report.rounds.map((round) => `${round.round}${round.target}`),
      ["1A", "1B", "2A", "2B"],
    );
    assert.equal(
      report.ratios?.map((ratio) => ratio.figure),
      ["rps", "p50", "p99"],
    );
    for (const ratio of report.ratios ?? []) {
      assert.is(ratio.perRound.length, 2);
      assert.ok(ratio.perRound.every((value) => Number.isFinite(value) && value > 0));
      assert.ok(ratio.median >= Math.min(...ratio.perRound) && ratio.median <= Math.max(...ratio.perRound));
    }
    const rpsRatio = report.ratios?.[0];
    const first = report.rounds[0];
    const second = report.rounds[1];
    assert.ok(first !== undefined && second !== undefined && rpsRatio !== undefined);
    assert.ok(Math.abs((rpsRatio.perRound[0] ?? 0) - first.rps / second.rps) < 1e-9);
    assert.is(report.targets[0]?.requests, a.seen());
    assert.is(report.targets[1]?.requests, b.seen());
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test("--pid: CPU µs per request of the server process (and its children) from /proc", async () => {
  const child = spawn(process.execPath, ["-e", "const s=require('node:http').createServer((q,r)=>r.end('x')).listen(0,'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n'))"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const port = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
    const report = await runBench({ targets: [{ name: "a", spec: spec(`http://127.0.0.1:${port}/`), pid: child.pid ?? 0 }], load: load({ durationMs: 500, rounds: 2 }) });
    const cpu = report.targets[0]?.cpuUsPerRequest;
    assert.ok(cpu !== undefined && Number.isFinite(cpu) && cpu >= 0, `cpuUsPerRequest ${cpu}`);
    assert.ok(report.rounds.every((round) => round.cpuUsPerRequest !== undefined));
  } finally {
    child.kill();
  }
});

test("templates: {{seq}} is unique per request the server saw, across workers and rounds", async () => {
  const server = await countingServer();
  try {
    const report = await runBench({
      targets: [{ name: "a", spec: spec(server.url, { method: "POST", body: '{"id":{{seq}},"n":{{randInt 1 3}}}', headers: { "content-type": "application/json" } }) }],
      load: load({ requests: 120, workers: 2, rounds: 2 }),
    });
    assert.is(report.targets[0]?.requests, 240);
    assert.is(server.bodies.length, 240);
    const ids = server.bodies.map((body) => (JSON.parse(body) as { id: number }).id);
    assert.is(new Set(ids).size, 240, "every {{seq}} differs");
    assert.ok(server.bodies.every((body) => /"n":[123]}$/.test(body)));
  } finally {
    await server.close();
  }
});

test.run();
