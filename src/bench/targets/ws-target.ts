import { once } from "node:events";
import WebSocket from "ws";
import { BenchConnectError, type BenchConnection, type BenchTarget, type BenchTargetFactory } from "../bench-target.js";
import { FrameCalls, socketOutcome } from "./frame-calls.js";
import { compileFrameRequest, readReplyHead } from "./frame-request.js";
import { inFlightOf, targetAddress } from "./target-url.js";

/**
 * WebSocket frames: `ws://host:port/upgrade-path` (or wss://), one JSON
 * frame per text message, many calls in flight per connection matched by id;
 * the outcome is the reply frame's status.
 */
export const wsTargetFactory: BenchTargetFactory = {
  protocol: "ws",
  async create(spec) {
    const { url } = targetAddress(spec.url, { "ws:": { defaultPort: 80, secure: false }, "wss:": { defaultPort: 443, secure: true } });
    const request = compileFrameRequest(spec);
    const timeoutMs = spec.timeoutMs;
    const sockets = new Set<WebSocket>();
    const target: BenchTarget = {
      inFlightPerConnection: inFlightOf(spec.inFlightPerConnection),
      async connect(): Promise<BenchConnection> {
        // No compression: the benchmark measures the gateway, not zlib; the limit is generous, replies are the caller's business.
        const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handshakeTimeout: timeoutMs });
        sockets.add(socket);
        const calls = new FrameCalls(timeoutMs);
        let outcome = "closed";
        socket.on("error", (error) => (outcome = socketOutcome(error)));
        socket.on("close", () => {
          sockets.delete(socket);
          calls.close(outcome);
        });
        socket.on("message", (data, isBinary) => {
          const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
          const head = isBinary ? undefined : readReplyHead(bytes);
          if (head !== undefined) calls.reply(head.id, head.status, bytes.length);
        });
        const [opened] = await Promise.race([
          once(socket, "open").then(
            () => [true],
            () => [false],
          ),
          once(socket, "close").then(() => [false]),
        ]);
        if (opened !== true) throw new BenchConnectError(`cannot open a WebSocket to ${url.href}: ${outcome}`, outcome);
        return {
          // Closing (the server's close frame came, "close" has not yet): a send would fail on the next tick, again and again.
          get alive() {
            return calls.alive && socket.readyState === WebSocket.OPEN;
          },
          send(sequence, done) {
            const id = calls.open(done);
            if (id === undefined) return;
            socket.send(request(id, sequence), (error) => {
              if (error) calls.fail(id, socketOutcome(error));
            });
          },
          close() {
            outcome = "closed";
            calls.close("closed");
            socket.terminate();
          },
        };
      },
      async close() {
        for (const socket of sockets) socket.terminate();
        sockets.clear();
      },
    };
    return target;
  },
};
