import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { startGateway } from "../../helpers/gateway.js";

/**
 * A gateway in a child process, for abuse tests: a crash (an unhandled
 * 'error' event, an uncaught exception) ends the child, which the test sees
 * as an exit, where an in-process gateway would take the test runner down
 * or hide the crash behind the runner's own handlers.
 */
export interface GatewayProcess {
  /** Bound port of each listener, by name. */
  readonly ports: Readonly<Record<string, number>>;
  /** What the child wrote to stderr (the crash's stack, if it crashed). */
  readonly stderr: () => string;
  /** Null while the process lives; its exit code or signal once it is gone. */
  readonly exited: () => string | null;
  stop(): Promise<void>;
}

/** Forks this file with `config`; resolves once every listener is bound. */
export async function startGatewayProcess(config: Record<string, unknown>): Promise<GatewayProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(config)], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let stderr = "";
  let exited: string | null = null;
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.once("exit", (code, signal) => (exited = `exit ${code ?? signal}`));
  const [ports] = (await Promise.race([once(child, "message"), once(child, "exit").then(() => Promise.reject(new Error(`the gateway process exited: ${stderr}`)))])) as [Record<string, number>];
  return {
    ports,
    stderr: () => stderr,
    exited: () => exited,
    stop: async () => {
      if (exited !== null) return;
      const gone = once(child, "exit");
      child.kill("SIGTERM");
      await gone;
    },
  };
}

// In the child: start the gateway from argv and report the ports to the parent.
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  const gateway = await startGateway(JSON.parse(process.argv[2]!) as Record<string, unknown>);
  const ports = Object.fromEntries(gateway.gateway.listeners.map((listener) => [listener.name, listener.address().port]));
  process.send(ports);
  process.once("SIGTERM", () => void gateway.stop(200).then(() => process.exit(0)));
  process.once("disconnect", () => void gateway.stop(200).then(() => process.exit(0)));
}
