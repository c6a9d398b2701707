import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import WebSocket from "ws";

/**
 * Callers that reset the connection (a real RST, socket.resetAndDestroy())
 * at every stage of an exchange. The gateway runs in a child process, so a
 * crash (an unhandled 'error' event) is seen as the process exiting.
 */

const script = fileURLToPath(new URL("../../helpers/http-gateway-process.js", import.meta.url));
const upgrade = (path: string) => `GET ${path} HTTP/1.1\r\nhost: a\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
const manyHeaders = Array.from({ length: 30 }, (_, index) => `x-h${index}: ${index}\r\n`).join("");

interface Stage {
  readonly name: string;
  /** What the caller does before it resets. */
  run(socket: Socket): Promise<void>;
  /** Set up for the whole stage (a held WebSocket connection); returns its teardown. */
  around?(port: number): Promise<() => void>;
}

const stages: readonly Stage[] = [
  { name: "before the head", run: async () => {} },
  { name: "mid-head", run: async (socket) => void socket.write("GET /x HTTP/1.1\r\nhost: a\r\nx-partial: ab") },
  { name: "after the head", run: async (socket) => void socket.write("GET /slow-reply HTTP/1.1\r\nhost: a\r\n\r\n") },
  { name: "mid-body (a body received whole)", run: async (socket) => void socket.write(`POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 10000\r\n\r\n${"a".repeat(5000)}`) },
  { name: "mid-body (a streamed body)", run: async (socket) => void socket.write(`POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 200000\r\n\r\n${"a".repeat(100_000)}`) },
  { name: "mid-body (a streamed body nobody reads: a 405)", run: async (socket) => void socket.write(`POST /get-only HTTP/1.1\r\nhost: a\r\ncontent-length: 200000\r\n\r\n${"a".repeat(100_000)}`) },
  {
    name: "mid-body (a streamed body waiting for a pooled upstream connection)",
    run: async (socket) => {
      const holder = connect(port, "127.0.0.1");
      holder.on("error", () => {});
      holder.write("GET /single/slow-reply HTTP/1.1\r\nhost: a\r\n\r\n");
      await received(holder, "HTTP/1.1 200");
      socket.write(`POST /single/x HTTP/1.1\r\nhost: a\r\ncontent-length: 200000\r\n\r\n${"a".repeat(100_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      holder.destroy();
    },
  },
  {
    name: "mid-body (a streamed body, after the upstream timed out: 504)",
    run: async (socket) => {
      socket.write(`POST /impatient/hang HTTP/1.1\r\nhost: a\r\ncontent-length: 200000\r\n\r\n${"a".repeat(100_000)}`);
      await received(socket, "HTTP/1.1 504");
    },
  },
  { name: "mid-body (chunked)", run: async (socket) => void socket.write(`POST /x HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n100\r\n${"a".repeat(256)}\r\n`) },
  {
    name: "mid-reply (upstream reply in progress)",
    run: async (socket) => {
      socket.write("GET /slow-reply HTTP/1.1\r\nhost: a\r\n\r\n");
      await received(socket, "HTTP/1.1 200");
    },
  },
  {
    name: "after an upgrade",
    run: async (socket) => {
      socket.write(upgrade("/ws"));
      await received(socket, "HTTP/1.1 ");
    },
  },
  { name: "after a refused upgrade (wrong path), before its answer", run: async (socket) => void socket.write(upgrade("/elsewhere")) },
  {
    name: "after a refused upgrade (wrong path), after its answer",
    run: async (socket) => {
      socket.write(upgrade("/elsewhere"));
      await received(socket, "HTTP/1.1 404");
    },
  },
  {
    name: "after a refused upgrade (over maxConnections)",
    run: async (socket) => void socket.write(upgrade("/ws")),
    around: async (port) => {
      const held = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await once(held, "open");
      return () => held.terminate();
    },
  },
  {
    name: "after a 413 (Content-Length over maxBodyBytes), still sending",
    run: async (socket) => void socket.write(`POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 10000000\r\n\r\n${"a".repeat(65_536)}`),
  },
  {
    name: "after a 413, once it was read",
    run: async (socket) => {
      socket.write("POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 10000000\r\n\r\n");
      await received(socket, "HTTP/1.1 413");
      socket.write("a".repeat(65_536));
    },
  },
  { name: "after a 431", run: async (socket) => void socket.write(`GET /x HTTP/1.1\r\nhost: a\r\n${manyHeaders}\r\n`) },
  { name: "after a 431 (header bytes, a clientError)", run: async (socket) => void socket.write(`GET /x HTTP/1.1\r\nhost: a\r\nx-big: ${"b".repeat(20_000)}\r\n\r\n`) },
  { name: "after a 400 (malformed)", run: async (socket) => void socket.write("NOT HTTP AT ALL\r\n\r\n") },
  { name: "after a 400 (two Host headers) with a request pipelined", run: async (socket) => void socket.write("GET /a HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\nGET /b HTTP/1.1\r\nhost: a\r\n\r\n") },
];

let child: ChildProcess;
let port = 0;
let stderr = "";

test.before(async () => {
  child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [line] = (await Promise.race([once(child.stdout!, "data"), once(child, "exit").then(() => [Buffer.from("{}")])])) as [Buffer];
  port = (JSON.parse(line.toString()) as { port: number }).port;
  assert.ok(port > 0, `the gateway process did not start: ${stderr}`);
});

test.after(() => {
  child.kill();
});

for (const stage of stages) {
  test(`a caller resetting ${stage.name}, 20 times, neither crashes the process nor stops others`, async () => {
    const teardown = await stage.around?.(port);
    try {
      for (let round = 0; round < 20; round++) {
        const socket = connect(port, "127.0.0.1");
        socket.on("error", () => {});
        await once(socket, "connect");
        await stage.run(socket);
        socket.resetAndDestroy();
      }
    } finally {
      teardown?.();
    }
    const response = await request(`http://127.0.0.1:${port}/after`, { method: "POST", body: "{}" }).catch((error: unknown) => {
      throw new Error(`another caller was not served (${String(error)}); the gateway process said: ${stderr}`);
    });
    assert.is(response.statusCode, 200);
    assert.equal(await response.body.json(), { url: "/after", bytes: 2 });
    assert.is(child.exitCode, null, `the gateway process died: ${stderr}`);
  });
}

/** Resolves once the caller has read `text` (bounded: a missing answer fails the test). */
function received(socket: Socket, text: string, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    let data = "";
    const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms; got ${JSON.stringify(data.slice(0, 100))}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      data += chunk.toString("latin1");
      if (!data.includes(text)) return;
      clearTimeout(timer);
      socket.off("data", onData);
      resolve();
    };
    socket.on("data", onData);
  });
}

test.run();
