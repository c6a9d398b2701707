import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { BenchConnectError, type BenchConnection, type BenchTarget, type BenchTargetFactory } from "../bench-target.js";
import { frameOnStream, FrameReader } from "../../frames/stream-framing.js";
import { FrameCalls, socketOutcome } from "./frame-calls.js";
import { compileFrameRequest, readReplyHead } from "./frame-request.js";
import { inFlightOf, targetAddress } from "./target-url.js";

/** The largest reply frame read; a bigger one breaks the stream (the connection is dropped, its calls fail as "framing"). */
const maxReplyBytes = 64 * 1024 * 1024;

/**
 * TCP frames: `tcp://host:port`, JSON frames as NDJSON lines (the default)
 * or behind a 4-byte big-endian length (`framing: "length-prefixed"`), many
 * calls in flight per connection matched by id.
 */
export const tcpTargetFactory: BenchTargetFactory = {
  protocol: "tcp",
  async create(spec) {
    const { host, port } = targetAddress(spec.url, { "tcp:": { defaultPort: 0, secure: false } });
    if (port === 0) throw new Error(`"${spec.url}" names no port`);
    const framing = spec.framing ?? "ndjson";
    if (framing !== "ndjson" && framing !== "length-prefixed") throw new Error(`tcp framing must be "ndjson" or "length-prefixed", not "${framing}"`);
    const request = compileFrameRequest(spec);
    const timeoutMs = spec.timeoutMs;
    const sockets = new Set<Socket>();
    const target: BenchTarget = {
      inFlightPerConnection: inFlightOf(spec.inFlightPerConnection),
      async connect(): Promise<BenchConnection> {
        const socket = connect({ host, port, noDelay: true, timeout: timeoutMs });
        sockets.add(socket);
        const calls = new FrameCalls(timeoutMs);
        const reader = new FrameReader(framing, maxReplyBytes);
        let outcome = "closed";
        socket.on("error", (error) => (outcome = socketOutcome(error)));
        // `timeout` only fires an event: a host that never answers the SYN is given up here, not at the OS's limit.
        socket.once("timeout", () => {
          if (socket.connecting) {
            outcome = "timeout";
            socket.destroy();
          }
        });
        socket.on("close", () => {
          sockets.delete(socket);
          calls.close(outcome);
        });
        socket.on("data", (chunk: Buffer) => {
          let frames: Buffer[];
          try {
            frames = reader.push(chunk);
          } catch {
            outcome = "framing";
            socket.destroy();
            return;
          }
          // The engine sends the next requests from `done`: corked, they leave in one write instead of one each.
          socket.cork();
          for (const frame of frames) {
            const head = readReplyHead(frame);
            if (head !== undefined) calls.reply(head.id, head.status, frame.length);
          }
          socket.uncork();
        });
        // once() rejects on "error": then the errno is in `outcome` already.
        const connected = await Promise.race([
          once(socket, "connect").then(
            () => true,
            () => false,
          ),
          once(socket, "close").then(() => false),
        ]);
        if (!connected) throw new BenchConnectError(`cannot connect to ${host}:${port}: ${outcome}`, outcome);
        // The connect timeout is not an idle timeout: a quiet connection between rounds is fine.
        socket.setTimeout(0);
        const write = framing === "ndjson" ? (text: string) => socket.write(`${text}\n`) : (text: string) => socket.write(frameOnStream("length-prefixed", Buffer.from(text)));
        return {
          // Destroyed or ended but not yet "close": a write would only fail.
          get alive() {
            return calls.alive && socket.writable;
          },
          send(sequence, done) {
            const id = calls.open(done);
            if (id !== undefined) write(request(id, sequence));
          },
          close() {
            outcome = "closed";
            calls.close("closed");
            socket.destroy();
          },
        };
      },
      async close() {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      },
    };
    return target;
  },
};
