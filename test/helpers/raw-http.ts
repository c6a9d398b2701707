import { connect } from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly text: string;
}

/** Sends bytes exactly as given (for requests no well-behaved client would send) and reads until the server closes or the response is complete. */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${timeoutMs}ms; got: ${JSON.stringify(data.slice(0, 200))}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(data));
    };
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      const parsed = tryComplete(data);
      if (parsed) finish();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (data !== "") finish();
    });
    socket.write(request);
  });
}

function tryComplete(data: string): boolean {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(data.slice(0, end));
  return length !== null && data.length - end - 4 >= Number(length[1]);
}

function parse(data: string): RawResponse {
  const end = data.indexOf("\r\n\r\n");
  const head = data.slice(0, end < 0 ? data.length : end).split("\r\n");
  const status = Number(head[0]?.split(" ")[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: end < 0 ? "" : data.slice(end + 4), text: data };
}
