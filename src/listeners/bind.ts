import { once } from "node:events";
import type { Server } from "node:net";
import type { ListenerBaseOptions } from "./listener.js";

/** Binds a stream server (node:http or node:net) where the listener's options say. */
export async function bind(server: Server, options: ListenerBaseOptions): Promise<void> {
  server.listen(options.port, options.host);
  await once(server, "listening");
}

/** The address a stream server is bound to (port resolved when 0 was configured). */
export function boundAddress(server: Server, options: ListenerBaseOptions): { host: string; port: number } {
  const bound = server.address();
  if (bound === null || typeof bound === "string") return { host: options.host, port: options.port };
  return { host: bound.address, port: bound.port };
}
