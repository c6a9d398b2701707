import { createConnection, type Socket } from "node:net";
import { once } from "node:events";

/** A raw FTP control connection, to send what no polite client would and to pick the source address. */
export interface RawControl {
  readonly socket: Socket;
  /** The greeting (220), or the refusal (421); "" when not read. */
  readonly greeting: string;
  /** The next complete reply (the last line of a multi-line one), or "closed" when the server closed first. */
  next(): Promise<string>;
  send(line: string): Promise<string>;
}

const replyTimeoutMs = 10_000;

export async function rawControl(port: number, localAddress = "127.0.0.1", readGreeting = true): Promise<RawControl> {
  const socket = createConnection({ host: "127.0.0.1", port, localAddress });
  socket.on("error", () => {});
  let buffer = "";
  let closed = false;
  socket.on("data", (chunk) => (buffer += chunk.toString()));
  socket.once("close", () => (closed = true));
  await once(socket, "connect");
  const next = async (): Promise<string> => {
    const deadline = Date.now() + replyTimeoutMs;
    while (!/^\d{3} .*\r\n/m.test(buffer)) {
      if (closed) return "closed";
      if (Date.now() > deadline) throw new Error(`no FTP reply within ${replyTimeoutMs} ms; got ${JSON.stringify(buffer)}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off("data", done);
          socket.off("close", done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 200);
        socket.on("data", done).on("close", done);
      });
    }
    const match = /^(\d{3} .*)\r\n/m.exec(buffer)!;
    buffer = buffer.slice(match.index + match[0].length);
    return match[1]!;
  };
  const greeting = readGreeting ? await next() : "";
  return {
    socket,
    greeting,
    next,
    send: async (line) => {
      socket.write(`${line}\r\n`);
      return next();
    },
  };
}

/** Logs in on a raw control connection; returns the PASS reply. */
export async function rawLogin(control: RawControl, user = "alice", password = "s3cret"): Promise<string> {
  await control.send(`USER ${user}`);
  return control.send(`PASS ${password}`);
}

/** Sends PASV and connects to the data port it names. */
export async function rawPassive(control: RawControl): Promise<Socket> {
  const reply = await control.send("PASV");
  const match = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply);
  if (match === null) throw new Error(`PASV failed: ${reply}`);
  const data = createConnection({ host: match.slice(1, 5).join("."), port: Number(match[5]) * 256 + Number(match[6]) });
  data.on("error", () => {});
  await once(data, "connect");
  return data;
}
