import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { BenchTargetSpec } from "../../src/bench/bench-target.js";
import type { LoadSettings } from "../../src/bench/load-plan.js";

/** A real node:http server on 127.0.0.1 that counts what it saw; `answer` decides each reply. */
export interface CountingServer {
  readonly url: string;
  readonly seen: () => number;
  readonly bodies: string[];
  close(): Promise<void>;
}

export async function countingServer(answer: (request: IncomingMessage, response: ServerResponse, count: number) => void = (_, response) => response.end('{"ok":true}')): Promise<CountingServer> {
  let seen = 0;
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    const count = ++seen;
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      if (body !== "") bodies.push(body);
      answer(request, response, count);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bench`,
    seen: () => seen,
    bodies,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function spec(url: string, extra: Partial<BenchTargetSpec> = {}): BenchTargetSpec {
  return { protocol: "http", url, method: "GET", headers: {}, body: "", protoFiles: [], importPaths: [], timeoutMs: 5000, pipelining: 1, ...extra };
}

export function load(extra: Partial<LoadSettings> = {}): LoadSettings {
  return { mode: "closed", connections: 4, warmupMs: 0, workers: 2, rounds: 1, ...extra };
}
