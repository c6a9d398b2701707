import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { forWorker } from "../../src/gateway/workers-options.js";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { parsePrometheusText } from "../helpers/prometheus-text.js";
import { waitFor } from "../helpers/wait.js";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));
// Forking, loading and binding N processes on a machine shared with other test runs.
const startTimeoutMs = 60_000;

type LogLine = Record<string, unknown> & { msg?: string; worker?: number; pid?: number };

/** `rosetta start` as a user runs it, with its JSON log lines (stderr) parsed as they come. */
class RosettaProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  stderr = "";

  constructor(configFile: string) {
    this.child = spawn(process.execPath, [bin, "start", "-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    let pending = "";
    this.child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk;
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      for (const part of parts) {
        try {
          this.lines.push(JSON.parse(part) as LogLine);
        } catch {
          // Plain text (a "rosetta: …" error) is kept in stderr.
        }
      }
    });
    this.exited = once(this.child, "exit").then(([code]) => code as number | null);
  }

  async waitLine(check: (line: LogLine) => boolean, what: string, timeoutMs = startTimeoutMs): Promise<LogLine> {
    await waitFor(() => this.lines.some(check), `${what}; log so far:\n${this.stderr}`, timeoutMs);
    return this.lines.find(check)!;
  }

  /** Once every worker reported ready: the traffic port (listener 0) and the admin port. */
  async ready(): Promise<{ port: number; admin: number; workers: Map<number, number> }> {
    const all = await this.waitLine((line) => line.msg === "all workers ready", "all workers ready");
    const admin = this.lines.find((line) => line.msg === "admin listening");
    return { port: (all.listeners as { port: number }[])[0]!.port, admin: Number(admin?.port), workers: this.workers() };
  }

  /** Worker slot → pid of its latest process, from the supervisor's "worker started" lines. */
  workers(): Map<number, number> {
    const result = new Map<number, number>();
    for (const line of this.lines) if (line.msg === "worker started") result.set(line.worker!, line.pid!);
    return result;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }
}

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-workers-")), "gateway.yaml");
  writeFileSync(file, text);
  return file;
}

/**
 * Which of `pids` owns the TCP connection from local port `localPort` to
 * `remotePort`, read from /proc (the kernel's socket table and each process's
 * file descriptors) — nothing the gateway says about itself.
 */
function socketOwner(localPort: number, remotePort: number, pids: readonly number[]): number | undefined {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  let inode: string | undefined;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const row of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = row.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[1]!.endsWith(`:${hex(localPort)}`) && fields[2]!.endsWith(`:${hex(remotePort)}`)) inode = fields[9];
    }
  }
  if (inode === undefined) return undefined;
  for (const pid of pids) {
    let descriptors: string[];
    try {
      descriptors = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const descriptor of descriptors) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${descriptor}`) === `socket:[${inode}]`) return pid;
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return undefined;
}

/** A plain HTTP upstream that answers with the pid of the gateway process whose connection carried the request. */
async function startUpstream(pids: () => readonly number[]): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const owner = socketOwner(request.socket.remotePort!, port, pids());
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ gatewayPid: owner ?? null }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return { server, port };
}

/** One request on a connection of its own (round-robin hands out connections, not requests). */
function get(port: number, path = "/echo"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: "127.0.0.1", port, path, agent: false, headers: { connection: "close" }, timeout: 30_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("request timed out")));
    outgoing.on("error", reject);
    outgoing.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function clusterConfig(upstreamPort: number, extra = ""): string {
  return `workers: 2
admin: { port: 0 }
shutdown: { timeout: 5s }
listeners:
  - { name: web, protocol: http, host: 127.0.0.1, port: 0 }
services:
  echo: { protocol: http, targets: ["http://127.0.0.1:${upstreamPort}"] }
routes:
  - { id: echo, match: { path: "/echo" }, upstream: { service: echo } }
${extra}`;
}

const workers = suite<{ upstream: { server: Server; port: number }; gateway: RosettaProcess | undefined; pids: number[] }>("workers: N processes behind one set of listeners");

workers.before.each(async (context) => {
  context.pids = [];
  context.upstream = await startUpstream(() => context.pids);
  context.gateway = undefined;
});

workers.after.each(async (context) => {
  await context.gateway?.stop();
  context.upstream.server.close();
  context.upstream.server.closeAllConnections();
});

workers("workers: 2 serves from two processes; /metrics counts every request across them; SIGTERM exits 0 with every worker gone", async (context) => {
  const gateway = (context.gateway = new RosettaProcess(writeConfig(clusterConfig(context.upstream.port))));
  const { port, admin, workers: byslot } = await gateway.ready();
  context.pids = [...byslot.values()];
  assert.is(context.pids.length, 2);
  assert.ok(!context.pids.includes(gateway.child.pid!), "the supervisor serves no traffic itself");
  const sent = 20;
  const owners = new Set<number | null>();
  for (let index = 0; index < sent; index++) {
    const { status, body } = await get(port);
    assert.is(status, 200, body);
    owners.add((JSON.parse(body) as { gatewayPid: number | null }).gatewayPid);
  }
  assert.equal([...owners].sort(), [...context.pids].sort(), "both workers carried requests, and only they did");

  const metrics = await fetch(`http://127.0.0.1:${admin}/metrics`);
  const families = await parsePrometheusText(await metrics.text());
  const requests = families.find((family) => family.name === "rosetta_requests")?.samples.filter((sample) => sample.name === "rosetta_requests_total") ?? [];
  assert.is(
    requests.reduce((sum, sample) => sum + sample.value, 0),
    sent,
  );
  assert.is(families.find((family) => family.name === "rosetta_workers_scraped")?.samples[0]?.value, 2);
  const ready = await fetch(`http://127.0.0.1:${admin}/readyz`);
  assert.is(ready.status, 200, await ready.text());
  const routes = (await (await fetch(`http://127.0.0.1:${admin}/routes`)).json()) as { routes: { id: string }[] };
  assert.equal(
    routes.routes.map((route) => route.id),
    ["echo"],
  );

  assert.is(await gateway.stop(), 0);
  for (const pid of context.pids) assert.not.ok(alive(pid), `worker ${pid} is gone`);
  assert.ok(gateway.lines.filter((line) => line.msg === "stopped").length >= 3, "every worker and the supervisor stopped gracefully");
});

workers("a killed worker is restarted in its slot and traffic continues; SIGHUP reaches every worker", async (context) => {
  const gateway = (context.gateway = new RosettaProcess(writeConfig(clusterConfig(context.upstream.port))));
  const { port, workers: byslot } = await gateway.ready();
  const victim = byslot.get(1)!;
  context.pids = [...byslot.values()];
  process.kill(victim, "SIGKILL");
  await gateway.waitLine((line) => line.msg === "worker died; restarting" && line.worker === 1, "the supervisor to notice");
  await gateway.waitLine((line) => line.msg === "worker ready" && line.worker === 1 && line.pid !== victim, "worker 1 to be back");
  const replacement = gateway.workers().get(1)!;
  assert.is.not(replacement, victim);
  context.pids = [...gateway.workers().values()];
  const owners = new Set<number | null>();
  for (let index = 0; index < 10; index++) {
    const { status, body } = await get(port);
    assert.is(status, 200, body);
    owners.add((JSON.parse(body) as { gatewayPid: number | null }).gatewayPid);
  }
  assert.ok(owners.has(replacement), "the restarted worker takes its share");

  gateway.child.kill("SIGHUP");
  for (const slot of [1, 2]) {
    await gateway.waitLine((line) => line.worker === slot && /SIGHUP/.test(String(line.msg)) && line.pid === context.pids[slot - 1], `worker ${slot} to log the SIGHUP`);
  }
  assert.is(gateway.child.exitCode, null, "SIGHUP does not stop the gateway");
  const after = await get(port);
  assert.is(after.status, 200);
});

workers("SIGHUP reloads every worker from the file, through forWorker; a change to workers is refused by each", async (context) => {
  const file = writeConfig(clusterConfig(context.upstream.port));
  const gateway = (context.gateway = new RosettaProcess(file));
  const { port, admin, workers: byslot } = await gateway.ready();
  context.pids = [...byslot.values()];
  assert.is((await get(port, "/added")).status, 404);
  const added = `  - { id: added, match: { path: "/added" }, upstream: { service: echo, path: "/echo" } }\n`;
  writeFileSync(file, clusterConfig(context.upstream.port, added));
  gateway.child.kill("SIGHUP");
  for (const slot of [1, 2]) await gateway.waitLine((line) => line.worker === slot && line.msg === "config reloaded", `worker ${slot} to reload`);
  const owners = new Set<number | null>();
  for (let index = 0; index < 10; index++) {
    const { status, body } = await get(port, "/added");
    assert.is(status, 200, body);
    owners.add((JSON.parse(body) as { gatewayPid: number | null }).gatewayPid);
  }
  assert.equal([...owners].sort(), [...context.pids].sort(), "both workers serve the new route");
  // A reloaded config is a worker's config again: still no admin port of its own (the supervisor's stays the only one).
  assert.is(gateway.lines.filter((line) => line.msg === "admin listening").length, 1);

  writeFileSync(file, clusterConfig(context.upstream.port, added).replace("workers: 2", "workers: 3"));
  const response = await fetch(`http://127.0.0.1:${admin}/reload`, { method: "POST" });
  const body = (await response.json()) as { workers: { status: string; problems?: { code: string; path: string }[] }[] };
  assert.is(response.status, 422, JSON.stringify(body));
  assert.is(body.workers.length, 2);
  for (const answer of body.workers) {
    assert.is(answer.status, "refused");
    assert.ok(
      answer.problems?.some((problem) => problem.code === "ROSETTA_ERR_RELOAD" && problem.path === "workers"),
      JSON.stringify(answer),
    );
  }
  assert.is((await get(port, "/added")).status, 200, "the previous config keeps serving");
});

workers("a worker that keeps dying at start stops the supervisor with exit 1 and says why", async (context) => {
  const folder = mkdtempSync(join(tmpdir(), "rosetta-workers-"));
  const marker = join(folder, "crash");
  // A user filter that kills its process while the gateway is built once the marker file exists.
  writeFileSync(
    join(folder, "crash.mjs"),
    `import { existsSync } from "node:fs";
export default { name: "crash", description: "dies at start when told", optionsSchema: { typeName: "any", parse: (input) => input ?? {} },
  create() { if (existsSync(${JSON.stringify(marker)})) process.exit(3); return (next) => next; } };
`,
  );
  const file = join(folder, "gateway.yaml");
  writeFileSync(file, clusterConfig(context.upstream.port, "filters:\n  - use: ./crash.mjs\n"));
  const gateway = (context.gateway = new RosettaProcess(file));
  const { workers: byslot } = await gateway.ready();
  writeFileSync(marker, "");
  process.kill(byslot.get(2)!, "SIGKILL");
  assert.is(await gateway.exited, 1);
  assert.match(gateway.stderr, /rosetta: worker 2 died 5 times within 10s of starting \(last: exit code 3\); stopping/);
  for (const pid of gateway.workers().values()) assert.not.ok(alive(pid));
});

workers("a worker that cannot start (port taken) stops everything at once with exit 1", async (context) => {
  const taken = createServer();
  taken.listen(0, "127.0.0.1");
  await once(taken, "listening");
  const port = (taken.address() as AddressInfo).port;
  try {
    const gateway = (context.gateway = new RosettaProcess(writeConfig(clusterConfig(context.upstream.port).replace("port: 0 }\nservices", `port: ${port} }\nservices`))));
    assert.is(await gateway.exited, 1);
    assert.match(gateway.stderr, /EADDRINUSE/);
    assert.match(gateway.stderr, /rosetta: worker \d failed to start \(exit code 1\)/);
  } finally {
    taken.close();
  }
});

workers.run();

const options = suite("workers: option and per-worker config");

options("an FTP passive range is split between the workers; one too small for them is a config error", () => {
  const plugins = builtinPlugins();
  const document = (workers: unknown) => ({
    workers,
    listeners: [{ name: "files", protocol: "ftp", port: 2121, anonymous: true, passivePortMin: 40_000, passivePortMax: 40_009 }],
  });
  const config = validateGatewayConfig(document(3), plugins);
  const ranges = [1, 2, 3].map((slot) => {
    const listener = forWorker(config, { slot, count: 3 }).listeners[0] as unknown as { passivePortMin: number; passivePortMax: number };
    return [listener.passivePortMin, listener.passivePortMax];
  });
  assert.equal(ranges, [
    [40_000, 40_002],
    [40_003, 40_005],
    [40_006, 40_009],
  ]);
  assert.is(forWorker(config, { slot: 1, count: 3 }).adminInSupervisor, true);
  assert.throws(
    () => validateGatewayConfig(document(11), plugins),
    (error: Error) => /listeners\[0\]\.passivePortMax/.test(JSON.stringify(error)) && /11 workers/.test(JSON.stringify(error)),
  );
  assert.throws(
    () => validateGatewayConfig(document("many"), plugins),
    (error: Error) => /expected auto or a number of processes/.test(JSON.stringify(error)),
  );
  assert.throws(
    () => validateGatewayConfig(document(0), plugins),
    (error: Error) => /workers/.test(JSON.stringify(error)),
  );
  assert.is(validateGatewayConfig(document("auto"), plugins).workers, "auto");
  assert.is(validateGatewayConfig({ listeners: document(1).listeners }, plugins).workers, 1);
});

options.run();
