import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./redis-server.js";

export interface TestEtcd {
  readonly endpoint: string;
  /** Writes a key through the v3 JSON gateway, as an operator's etcdctl put would. */
  put(key: string, value: string): Promise<void>;
  /** Stops the server (SIGKILL: an outage); its data stays for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** A real etcd (Debian's etcd-server) on free ports with a temporary data dir; resolves once it answers. */
export async function startEtcd(timeoutMs = 20_000): Promise<TestEtcd> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "rosetta-etcd-"));
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    let output = "";
    const started = spawn(
      "etcd",
      [
        "--name",
        "default",
        "--data-dir",
        dataDir,
        "--listen-client-urls",
        endpoint,
        "--advertise-client-urls",
        endpoint,
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        `default=${peer}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = started;
    started.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`etcd exited with ${started.exitCode}: ${output.slice(-2000)}`);
      try {
        const response = await fetch(`${endpoint}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: b64("/health-check") }), signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`etcd did not answer within ${timeoutMs} ms: ${output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const stop = async () => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    endpoint,
    async put(key, value) {
      const response = await fetch(`${endpoint}/v3/kv/put`, { method: "POST", body: JSON.stringify({ key: b64(key), value: b64(value) }) });
      if (!response.ok) throw new Error(`etcd put failed: ${response.status} ${await response.text()}`);
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
