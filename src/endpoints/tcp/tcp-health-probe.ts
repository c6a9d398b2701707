import { createConnection } from "node:net";
import type { HealthProbe } from "../health-checker.js";
import type { TcpTarget } from "./tcp-options.js";

/** Healthy when the target accepts a TCP connection, which is then closed at once. */
export const tcpConnectProbe: HealthProbe<{ readonly target: TcpTarget }> = ({ target }, signal) =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ host: target.host, port: target.port });
    const onAbort = () => socket.destroy(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      signal.removeEventListener("abort", onAbort);
      reject(new Error(`connect failed (${error.code ?? error.message})`));
    });
  });
