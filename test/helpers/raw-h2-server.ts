import { createServer, type Server, type Socket } from "node:net";

/** One frame as a hand-written server writes it. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Buffer | readonly number[] = []): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(9);
  head.writeUIntBE(body.byteLength, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, body]);
}

/** A gRPC length-prefixed message. */
export function grpcMessage(message: Buffer, flag = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(message.byteLength, 1);
  return Buffer.concat([head, message]);
}

export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/**
 * A hand-driven HTTP/2 "server" on a plain TCP socket, for what a real
 * server never sends: it reads the client preface, then hands every client
 * frame to `onFrame` (with the socket to answer on); `onConnection` runs
 * first (e.g. to send SETTINGS, or nothing at all).
 */
export async function rawH2Server(
  onConnection: (socket: Socket) => void,
  onFrame: (socket: Socket, frame: RawFrame) => void,
): Promise<{ target: string; server: Server; connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = {
    target: "",
    server: createServer((socket) => {
      state.connections++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      onConnection(socket);
      let buffered = Buffer.alloc(0);
      let prefaceSeen = false;
      socket.on("data", (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (!prefaceSeen) {
          if (buffered.byteLength < 24) return;
          buffered = buffered.subarray(24);
          prefaceSeen = true;
        }
        while (buffered.byteLength >= 9) {
          const length = buffered.readUIntBE(0, 3);
          if (buffered.byteLength < 9 + length) break;
          onFrame(socket, { type: buffered[3] ?? 0, flags: buffered[4] ?? 0, streamId: buffered.readUInt32BE(5) & 0x7fffffff, payload: buffered.subarray(9, 9 + length) });
          buffered = buffered.subarray(9 + length);
        }
      });
    }),
    connections: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => state.server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve) => state.server.listen(0, "127.0.0.1", resolve));
  const address = state.server.address();
  state.target = `127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  return state;
}
