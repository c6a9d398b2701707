import { createConnection } from "node:net";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import WebSocket from "ws";

/**
 * The load generator for framed listeners: `concurrency` calls kept in
 * flight on ONE WebSocket / TCP connection / UDP socket (frames are
 * multiplexed by id; wrk opens one HTTP connection per call in flight
 * instead). Target: `ws|tcp|udp:port:/path`. UDP requests are padded to
 * 1 KiB so the reply fits the anti-amplification budget. Prints requests,
 * rate, p50/p99, errors and its own CPU per call.
 */
const [target, secondsText, concurrencyText] = process.argv.slice(2) as [string, string, string];
const [protocol, portText, path] = target.split(":") as [string, string, string];
const port = Number(portText);
const seconds = Number(secondsText);
const concurrency = Number(concurrencyText);
const started = new Map<string, bigint>();
const latencies: number[] = [];
let errors = 0;
let nextId = 0;
let running = true;

type Send = (bytes: string) => void;
let send: Send;
const frameFor = (id: string) => JSON.stringify({ id, method: "GET", path, ...(protocol === "udp" ? { pad: " ".repeat(1024) } : {}) });

function onReply(text: string): void {
  const frame = JSON.parse(text) as { id: string; status?: number };
  if (frame.status === undefined) return;
  const start = started.get(frame.id);
  if (start === undefined) return;
  started.delete(frame.id);
  if (frame.status === 200) latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  else errors++;
  if (running) issue();
}

function issue(): void {
  const id = String(++nextId);
  started.set(id, process.hrtime.bigint());
  send(frameFor(id));
}

if (protocol === "ws") {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  await once(socket, "open");
  socket.on("message", (data) => onReply(String(data)));
  send = (text) => socket.send(text);
} else if (protocol === "tcp") {
  const socket = createConnection({ host: "127.0.0.1", port });
  await once(socket, "connect");
  socket.setNoDelay(true);
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      onReply(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  send = (text) => socket.write(`${text}\n`);
} else {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  socket.on("message", (message) => onReply(message.toString()));
  send = (text) => socket.send(text, port, "127.0.0.1");
  // A lost datagram would stall its slot: re-issue calls unanswered for a second.
  setInterval(() => {
    const now = process.hrtime.bigint();
    for (const [id, at] of started)
      if (now - at > 1_000_000_000n) {
        started.delete(id);
        errors++;
        if (running) issue();
      }
  }, 200).unref();
}

// Warm-up, then the measured window.
for (let index = 0; index < concurrency; index++) issue();
await new Promise((resolve) => setTimeout(resolve, 1000));
latencies.length = 0;
errors = 0;
const cpuBefore = process.cpuUsage();
const windowStart = Date.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
running = false;
const elapsed = (Date.now() - windowStart) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const count = latencies.length;
latencies.sort((a, b) => a - b);
const at = (quantile: number) => latencies[Math.min(count - 1, Math.floor(quantile * count))] ?? Number.NaN;
process.stdout.write(`${JSON.stringify({ requests: count, requestsPerSecond: count / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), errors, cpuMicrosPerRequest: (cpu.user + cpu.system) / count })}\n`);
process.exit(0);
