import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";

/**
 * A real node:http upstream that answers its own name, counts the calls it
 * served (health checks apart), can hold calls, and can be stopped and
 * started again on the same port (a killed and restarted target).
 */
export interface HttpTarget {
  readonly name: string;
  readonly origin: string;
  /** Calls served, not counting health checks. */
  hits: number;
  /** Health checks received. */
  checks: number;
  /** Status /healthz answers. */
  healthStatus: number;
  /** While set, calls are held (not answered) until release(). */
  hold: boolean;
  release(): void;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function startHttpTarget(name: string): Promise<HttpTarget> {
  let server: Server | undefined;
  let held: ServerResponse[] = [];
  let port = 0;
  const target: HttpTarget = {
    name,
    origin: "",
    hits: 0,
    checks: 0,
    healthStatus: 200,
    hold: false,
    release() {
      for (const response of held) response.end(name);
      held = [];
    },
    async stop() {
      const closing = server!;
      server = undefined;
      closing.closeAllConnections();
      await new Promise((resolve) => closing.close(resolve));
    },
    async restart() {
      server = createServer(handle).listen(port, "127.0.0.1");
      await once(server, "listening");
    },
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    if (request.url === "/healthz") {
      target.checks++;
      response.writeHead(target.healthStatus).end();
      return;
    }
    target.hits++;
    if (target.hold) held.push(response);
    else response.end(name);
  };
  await target.restart();
  port = (server!.address() as { port: number }).port;
  (target as { origin: string }).origin = `http://127.0.0.1:${port}`;
  return target;
}
