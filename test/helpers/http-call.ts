import { type Agent, request } from "node:http";

export interface HttpReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with node:http (a real client that sends any Origin or X-Forwarded-For), bounded by `timeoutMs`. */
export function httpCall(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; agent?: Agent; timeoutMs?: number } = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const call = request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path ?? "/", headers: options.headers, agent: options.agent, timeout: options.timeoutMs ?? 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    call.on("timeout", () => call.destroy(new Error(`no reply within ${options.timeoutMs ?? 5000} ms`)));
    call.on("error", reject);
    call.end();
  });
}
