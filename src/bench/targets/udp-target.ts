import { once } from "node:events";
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { BenchConnectError, type BenchConnection, type BenchTarget, type BenchTargetFactory } from "../bench-target.js";
import { FrameCalls, socketOutcome } from "./frame-calls.js";
import { compileFrameRequest, readReplyHead } from "./frame-request.js";
import { inFlightOf, targetAddress } from "./target-url.js";

const space = 0x20;

/**
 * UDP frames: `udp://host:port`, one JSON frame per datagram, each
 * "connection" a connected socket of its own with many calls in flight. A
 * lost datagram (either way) is a call that times out. Requests are padded
 * with spaces to `padBytes` (1024 by default): a Rosetta UDP listener never
 * sends back more bytes than it received (anti-amplification).
 */
export const udpTargetFactory: BenchTargetFactory = {
  protocol: "udp",
  async create(spec) {
    const { host, port } = targetAddress(spec.url, { "udp:": { defaultPort: 0, secure: false } });
    if (port === 0) throw new Error(`"${spec.url}" names no port`);
    const padBytes = spec.padBytes ?? 1024;
    if (!Number.isSafeInteger(padBytes) || padBytes < 0 || padBytes > 65_507) throw new Error(`padBytes must be 0–65507 (a UDP datagram's payload), not ${padBytes}`);
    const request = compileFrameRequest(spec);
    const timeoutMs = spec.timeoutMs;
    const sockets = new Set<Socket>();
    const datagram = (text: string): Buffer => {
      const length = Buffer.byteLength(text);
      if (length >= padBytes) return Buffer.from(text);
      const bytes = Buffer.allocUnsafe(padBytes);
      bytes.write(text, 0);
      return bytes.fill(space, length);
    };
    const target: BenchTarget = {
      inFlightPerConnection: inFlightOf(spec.inFlightPerConnection),
      async connect(): Promise<BenchConnection> {
        const socket = createSocket(isIPv6(host) ? "udp6" : "udp4");
        sockets.add(socket);
        const calls = new FrameCalls(timeoutMs);
        let outcome = "closed";
        // An error on a connected UDP socket is the port being closed (ICMP port unreachable): this "connection"
        // is dead like a TCP one the server closed, its calls end now rather than at their timeout.
        socket.on("error", (error) => {
          outcome = socketOutcome(error);
          calls.close(outcome);
          closeQuietly(socket);
        });
        socket.on("close", () => {
          sockets.delete(socket);
          calls.close(outcome);
        });
        socket.on("message", (bytes) => {
          const head = readReplyHead(bytes);
          if (head !== undefined) calls.reply(head.id, head.status, bytes.length);
        });
        // A connected socket takes datagrams from the target only, and send() needs no address.
        socket.connect(port, host);
        const connected = await Promise.race([
          once(socket, "connect").then(
            () => true,
            () => false,
          ),
          once(socket, "close").then(() => false),
        ]);
        if (!connected) throw new BenchConnectError(`cannot reach ${host}:${port} over UDP: ${outcome}`, outcome);
        return {
          get alive() {
            return calls.alive;
          },
          send(sequence, done) {
            const id = calls.open(done);
            if (id === undefined) return;
            socket.send(datagram(request(id, sequence)), (error) => {
              if (error) calls.fail(id, socketOutcome(error));
            });
          },
          close() {
            outcome = "closed";
            calls.close("closed");
            closeQuietly(socket);
          },
        };
      },
      async close() {
        for (const socket of sockets) closeQuietly(socket);
        sockets.clear();
      },
    };
    return target;
  },
};

/** dgram throws when a socket is closed twice (the connection's close, then the target's). */
function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // Already closed.
  }
}
