import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request, Agent } from "undici";
import WebSocket from "ws";
import { createConnection } from "node:net";

/**
 * `npm run bench -- --only reload`: `rosetta start -c FILE` (a child process)
 * under steady mixed load — HTTP callers in a closed loop, WebSocket and TCP
 * frame sessions each calling in turn — first without reloads (the baseline),
 * then while the config is reloaded `reloads` times (POST /reload; routes
 * and a listener alternate). Reports requests lost, sessions reset, p99 of
 * each phase, and the gateway's handles and memory before and after
 * (its own /metrics).
 */
export async function benchReload(options: { reloads: number; seconds: number }): Promise<void> {
  const upstream = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json", "content-length": 11 }).end('{"ok":true}'));
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const origin = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  const ports = await Promise.all([0, 0, 0, 0, 0].map(freePort));
  const [web, ws, tcp, admin, extra] = ports as [number, number, number, number, number];
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-bench-reload-")), "gateway.json");
  const config = (variant: number) => ({
    admin: { host: "127.0.0.1", port: admin },
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: web },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: ws },
      { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: tcp },
      ...(variant % 2 === 1 ? [{ name: "extra", protocol: "http", host: "127.0.0.1", port: extra }] : []),
    ],
    services: { echo: { protocol: "http", targets: [origin] } },
    routes: [
      { id: "orders", match: { path: "/orders" }, upstream: { service: "echo", path: "/" } },
      ...(variant % 2 === 1 ? [{ id: `extra-${variant}`, match: { path: "/extra" }, upstream: { service: "echo", path: "/" } }] : []),
    ],
  });
  writeFileSync(file, JSON.stringify(config(0)));
  const bin = fileURLToPath(new URL("../../bin/rosetta.js", import.meta.url));
  const gateway = spawn(process.execPath, [bin, "start", "-c", file, "--no-watch", "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
  const adminUrl = `http://127.0.0.1:${admin}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    const ready = await request(`${adminUrl}/readyz`).then(
      async (response) => {
        await response.body.text();
        return response.statusCode === 200;
      },
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Warm-up (JIT, pools), then the idle figures the run is compared against once its load has gone.
  const warmUp = startLoad(web, ws, tcp);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await warmUp.stop();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = await processFigures(adminUrl);
  const load = startLoad(web, ws, tcp);
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  const baseline = load.reset();
  const interval = (options.seconds * 1000) / options.reloads;
  let refused = 0;
  for (let reload = 1; reload <= options.reloads; reload++) {
    const started = Date.now();
    writeFileSync(file, JSON.stringify(config(reload)));
    const response = await request(`${adminUrl}/reload`, { method: "POST" });
    await response.body.text();
    if (response.statusCode !== 200) refused++;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, interval - (Date.now() - started))));
  }
  const reloading = load.reset();
  const resets = await load.stop();
  await new Promise((resolve) => setTimeout(resolve, 2000)); // the old generations drain and release
  const after = await processFigures(adminUrl);
  gateway.kill("SIGTERM");
  await once(gateway, "close");
  upstream.close();
  const row = (name: string, phase: Phase) =>
    `| ${name} | ${phase.http + phase.ws + phase.tcp} (${phase.http} HTTP, ${phase.ws} WS, ${phase.tcp} TCP) | ${phase.errors} | ${percentile(phase.latencies, 0.5).toFixed(2)} | ${percentile(phase.latencies, 0.99).toFixed(2)} |`;
  process.stdout.write(
    `\n### Hot reload under load: ${options.reloads} reloads in ${options.seconds} s\n\n| phase | answers | lost (errors) | p50 ms | p99 ms |\n|---|---|---|---|---|\n${row("baseline (no reload)", baseline)}\n${row(`${options.reloads} reloads`, reloading)}\n\n` +
      `reloads refused: ${refused}; sessions reset: ${resets} of 8 (4 WebSocket, 4 TCP); p99 ratio: ${(percentile(reloading.latencies, 0.99) / percentile(baseline.latencies, 0.99)).toFixed(2)}\n` +
      `gateway process idle before → after (load stopped, 2 s to drain): active handles ${before.handles} → ${after.handles}, resident memory ${before.rssMiB.toFixed(1)} → ${after.rssMiB.toFixed(1)} MiB, heap used ${before.heapMiB.toFixed(1)} → ${after.heapMiB.toFixed(1)} MiB\n`,
  );
}

interface Phase {
  http: number;
  ws: number;
  tcp: number;
  errors: number;
  latencies: number[];
}

/** 8 HTTP callers, 4 WebSocket and 4 TCP sessions, each calling in turn for as long as the run lasts. */
function startLoad(web: number, wsPort: number, tcpPort: number) {
  let phase: Phase = { http: 0, ws: 0, tcp: 0, errors: 0, latencies: [] };
  let running = true;
  let resets = 0;
  const dispatcher = new Agent({ connections: 8 });
  const loops: Promise<void>[] = [];
  for (let caller = 0; caller < 8; caller++)
    loops.push(
      (async () => {
        while (running) {
          const started = performance.now();
          try {
            const response = await request(`http://127.0.0.1:${web}/orders`, { dispatcher });
            await response.body.text();
            if (response.statusCode === 200) {
              phase.http++;
              phase.latencies.push(performance.now() - started);
            } else phase.errors++;
          } catch {
            phase.errors++;
          }
        }
      })(),
    );
  const session = async (kind: "ws" | "tcp") => {
    const waiting = new Map<string, (status: number) => void>();
    const onFrame = (text: string) => {
      const frame = JSON.parse(text) as { id: string; status?: number };
      if (frame.status !== undefined) waiting.get(frame.id)?.(frame.status);
    };
    let send: (text: string) => void;
    let closed: Promise<void>;
    if (kind === "ws") {
      const socket = new WebSocket(`ws://127.0.0.1:${wsPort}/`);
      await once(socket, "open");
      socket.on("message", (data) => onFrame(String(data)));
      send = (text) => socket.send(text);
      closed = once(socket, "close").then(() => undefined);
      stoppers.push(() => socket.close());
    } else {
      const socket = createConnection({ host: "127.0.0.1", port: tcpPort });
      await once(socket, "connect");
      let pending = "";
      socket.on("data", (chunk: Buffer) => {
        pending += chunk.toString();
        for (let newline = pending.indexOf("\n"); newline >= 0; newline = pending.indexOf("\n")) {
          onFrame(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
        }
      });
      socket.on("error", () => undefined);
      send = (text) => socket.write(`${text}\n`);
      closed = once(socket, "close").then(() => undefined);
      stoppers.push(() => socket.end());
    }
    let open = true;
    void closed.then(() => {
      if (running) resets++;
      open = false;
      for (const wake of waiting.values()) wake(0);
    });
    for (let call = 0; running && open; call++) {
      const id = String(call);
      const started = performance.now();
      const status = await new Promise<number>((resolve) => {
        waiting.set(id, resolve);
        send(JSON.stringify({ id, method: "GET", path: "/orders" }));
      });
      waiting.delete(id);
      if (status === 200) {
        phase[kind]++;
        phase.latencies.push(performance.now() - started);
      } else if (running) phase.errors++;
    }
  };
  const stoppers: (() => void)[] = [];
  for (let index = 0; index < 4; index++) loops.push(session("ws"), session("tcp"));
  return {
    reset(): Phase {
      const done = phase;
      phase = { http: 0, ws: 0, tcp: 0, errors: 0, latencies: [] };
      return done;
    },
    async stop(): Promise<number> {
      running = false;
      await Promise.all(loops);
      for (const stop of stoppers) stop();
      await dispatcher.close();
      return resets;
    },
  };
}

async function processFigures(adminUrl: string): Promise<{ handles: number; rssMiB: number; heapMiB: number }> {
  const text = await (await request(`${adminUrl}/metrics`)).body.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return { handles: value("nodejs_active_handles_total"), rssMiB: value("process_resident_memory_bytes") / 2 ** 20, heapMiB: value("nodejs_heap_size_used_bytes") / 2 ** 20 };
}

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
