import { createConnection, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import WebSocket from "ws";

/** A reply frame as a JSON client sees it. */
export type JsonFrame = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Collects the JSON frames of many calls on one message-oriented connection:
 * `until(id)` resolves with every frame of that id once the final one (the
 * one with a status) has arrived.
 */
class FrameCollector {
  readonly frames: JsonFrame[] = [];
  readonly #waiters: Array<() => void> = [];

  add(frame: JsonFrame): void {
    this.frames.push(frame);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async until(id: string, timeoutMs = 5000): Promise<JsonFrame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mine = this.frames.filter((frame) => frame.id === id);
      if (mine.some((frame) => frame.status !== undefined)) return mine;
      if (Date.now() > deadline) throw new Error(`no final frame for id ${id}; got ${JSON.stringify(this.frames)}`);
      // Woken by the next frame, or at the deadline.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export interface WsTestClient {
  readonly socket: WebSocket;
  readonly collector: FrameCollector;
  send(frame: JsonFrame | string): void;
  call(frame: JsonFrame): Promise<JsonFrame[]>;
  close(): Promise<void>;
}

export async function wsClient(url: string): Promise<WsTestClient> {
  const socket = new WebSocket(url);
  const collector = new FrameCollector();
  socket.on("message", (data) => collector.add(JSON.parse(String(data))));
  await once(socket, "open");
  const send = (frame: JsonFrame | string) => socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  return {
    socket,
    collector,
    send,
    call: (frame) => {
      send(frame);
      return collector.until(String(frame.id));
    },
    close: async () => {
      if (socket.readyState === socket.CLOSED) return;
      socket.close();
      await once(socket, "close");
    },
  };
}

export interface TcpTestClient {
  readonly socket: Socket;
  readonly collector: FrameCollector;
  readonly closed: Promise<void>;
  write(bytes: string | Buffer): void;
  call(frame: JsonFrame): Promise<JsonFrame[]>;
  close(): void;
}

/** An NDJSON client on a raw TCP socket. */
export async function tcpClient(port: number): Promise<TcpTestClient> {
  const socket = createConnection({ host: "127.0.0.1", port });
  await once(socket, "connect");
  const collector = new FrameCollector();
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      collector.add(JSON.parse(pending.slice(0, newline)));
      pending = pending.slice(newline + 1);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    socket,
    collector,
    closed,
    write: (bytes) => socket.write(bytes),
    call: (frame) => {
      socket.write(`${JSON.stringify(frame)}\n`);
      return collector.until(String(frame.id));
    },
    close: () => socket.destroy(),
  };
}

/** Sends one datagram and resolves with every datagram received within `waitMs` (or at the first, when `first`). */
export async function udpExchange(port: number, payload: Buffer | string, waitMs = 1000, first = true): Promise<Buffer[]> {
  const socket = createSocket("udp4");
  const replies: Buffer[] = [];
  try {
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      socket.on("message", (message) => {
        replies.push(message);
        if (first) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    socket.send(typeof payload === "string" ? Buffer.from(payload) : payload, port, "127.0.0.1");
    await done;
    return replies;
  } finally {
    socket.close();
  }
}
