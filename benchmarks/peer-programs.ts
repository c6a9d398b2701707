import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchProcess } from "./harness.js";

/**
 * The peers of the benchmark that are not Node scripts: nginx and HAProxy
 * (Debian packages) and the two Go programs benchmarks/peers/install-peers.sh
 * builds (grpc-gateway and a grpc-go upstream). Each is found on the machine
 * or reported missing with the command that installs it.
 */

/** The source folder benchmarks/peers/ (the compiled file sits in dist/benchmarks/). */
const peersFolder = fileURLToPath(new URL("../../benchmarks/peers/", import.meta.url));
/** Import root of the peers' proto (rosetta/bench/v1/orders.proto), shared by Rosetta and both upstreams. */
export const peersProtoRoot = join(peersFolder, "proto");
export const peersSetup = "npm run bench:peers-setup";

export type Peer = { readonly found: true; readonly file: string } | { readonly found: false; readonly skipLine: string };

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A Debian program on PATH or in the sbin folders (not on a non-root PATH). */
export function findProgram(name: string, debianPackage: string): Peer {
  const folders = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const folder of folders) {
    const file = join(folder, name);
    if (folder !== "" && executable(file)) return { found: true, file };
  }
  return { found: false, skipLine: `${name}: not installed, skipped (install: ${peersSetup}, or apt-get install -y ${debianPackage})` };
}

/** A Go program built by install-peers.sh into benchmarks/peers/build/bin/. */
export function findBuilt(name: string): Peer {
  const file = join(peersFolder, "build", "bin", name);
  return executable(file) ? { found: true, file } : { found: false, skipLine: `${name}: not built, skipped (build it: ${peersSetup})` };
}

/** A port free right now on 127.0.0.1, for programs that cannot report one they chose. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function benchProcess(name: string, child: ChildProcess, port: number, cleanup: () => void): BenchProcess {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} did not start`);
  return {
    name,
    port,
    info: { port },
    pid,
    stop: () =>
      new Promise((resolve) => {
        const done = () => {
          cleanup();
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}

/** Starts a program that listens on `port` (given in its config) and waits, up to 10 s, until it accepts connections. */
async function startListening(name: string, file: string, args: readonly string[], port: number, cleanup: () => void): Promise<BenchProcess> {
  const child = spawn(file, args, { stdio: ["ignore", "ignore", "inherit"] });
  let exited = false;
  child.once("exit", () => (exited = true));
  for (let attempt = 0; attempt < 200; attempt++) {
    if (exited) throw new Error(`${name} exited before it listened on ${port}`);
    if (await connects(port)) return benchProcess(name, child, port, cleanup);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGTERM");
  throw new Error(`${name} did not listen on ${port} within 10 s`);
}

/** Starts a program that prints `{"port":N}` on its first line (the Go programs), like harness.startProcess. */
export function startReporting(name: string, file: string, args: readonly string[]): Promise<BenchProcess> {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const end = output.indexOf("\n");
      if (end < 0) return;
      child.stdout?.off("data", onData);
      child.stdout?.resume();
      const report = JSON.parse(output.slice(0, end)) as { port: number };
      resolve(benchProcess(name, child, report.port, () => undefined));
    };
    child.stdout?.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
}

/**
 * nginx as one process (master_process off: the master does the worker's
 * work, so the pid's CPU is all of nginx's), keepalive to the upstream,
 * the same path rewrite and header work as the Rosetta benchmark route.
 */
export async function startNginx(file: string, upstreamPort: number): Promise<BenchProcess> {
  const folder = mkdtempSync(join(tmpdir(), "rosetta-bench-nginx-"));
  const port = await freePort();
  const config = `daemon off;
master_process off;
worker_processes 1;
pid ${folder}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${folder}/body;
  proxy_temp_path ${folder}/proxy;
  fastcgi_temp_path ${folder}/fastcgi;
  uwsgi_temp_path ${folder}/uwsgi;
  scgi_temp_path ${folder}/scgi;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  upstream orders {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port};
    location /api/ {
      proxy_pass http://orders/v2/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Gateway rosetta;
      add_header X-Served-By nginx;
    }
  }
}
`;
  writeFileSync(join(folder, "nginx.conf"), config);
  return startListening("nginx", file, ["-e", "stderr", "-p", folder, "-c", join(folder, "nginx.conf")], port, () => rmSync(folder, { recursive: true, force: true }));
}

/** HAProxy in http mode, one thread (like one Node event loop), connections to the upstream reused. */
export async function startHaproxy(file: string, upstreamPort: number): Promise<BenchProcess> {
  const folder = mkdtempSync(join(tmpdir(), "rosetta-bench-haproxy-"));
  const port = await freePort();
  const config = `global
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend web
  bind 127.0.0.1:${port}
  option forwardfor
  http-request set-path "%[path,regsub(^/api/,/v2/)]"
  http-request set-header X-Gateway rosetta
  http-response set-header X-Served-By haproxy
  default_backend orders

backend orders
  http-reuse always
  server up 127.0.0.1:${upstreamPort}
`;
  writeFileSync(join(folder, "haproxy.cfg"), config);
  return startListening("haproxy", file, ["-db", "-f", join(folder, "haproxy.cfg")], port, () => rmSync(folder, { recursive: true, force: true }));
}
