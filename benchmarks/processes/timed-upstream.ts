import { createServer } from "node:http";

/**
 * An upstream that answers every request after `delayMs` (default 10): a
 * timer wakes it a millisecond early and it polls the last stretch, so the
 * answer leaves within microseconds of the delay rather than the millisecond
 * or more a plain timer adds. It times each hold itself (arrival to answer):
 * GET /truth returns the p50/p99 of those holds since the last /truth, the
 * truth a load generator's figures are compared with. GET /stall freezes it
 * for one second: nothing is answered until the stall ends, requests in
 * flight included, as a garbage-collection pause or a lock would.
 */
const delayMs = Number(process.argv[2] ?? 10);
let stallUntil = 0;
const due: Array<{ arrived: number; at: number; answer: () => void }> = [];
let holds: number[] = [];
let polling = false;

const poll = () => {
  const now = performance.now();
  while (due.length > 0 && due[0]!.at <= now && now >= stallUntil) {
    const request = due.shift()!;
    request.answer();
    holds.push(performance.now() - request.arrived);
  }
  const next = due[0];
  if (next === undefined) {
    polling = false;
    return;
  }
  const wake = Math.max(next.at, stallUntil) - now;
  if (wake > 1.5) setTimeout(poll, wake - 1.2);
  else setImmediate(poll);
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

const server = createServer((req, res) => {
  if (req.url === "/stall") {
    stallUntil = performance.now() + 1000;
    res.end("stalled\n");
    return;
  }
  if (req.url === "/truth") {
    const sorted = holds.sort((a, b) => a - b);
    holds = [];
    res.end(JSON.stringify({ count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN }));
    return;
  }
  req.resume();
  const arrived = performance.now();
  // Requests arrive in order and share one delay, so the queue stays sorted.
  due.push({ arrived, at: arrived + delayMs, answer: () => res.end('{"ok":true}') });
  if (!polling) {
    polling = true;
    setTimeout(poll, delayMs - 1.2);
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.on("SIGTERM", () => process.exit(0));
