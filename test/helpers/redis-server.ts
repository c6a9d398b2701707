import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  /** Kills the server at once (SIGKILL): an outage, not a shutdown. */
  kill(): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/**
 * A real redis-server (the Debian package) on a free port, without
 * persistence; DEBUG is allowed from local clients so a test can make it
 * slow (DEBUG SLEEP). Resolves once it accepts connections.
 */
export async function startRedis(port?: number, timeoutMs = 10_000): Promise<TestRedis> {
  const chosen = port ?? (await freePort());
  const child = spawn("redis-server", ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "local"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${timeoutMs} ms: ${output}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    process: child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
