import type { Readable } from "node:stream";
import { Pool } from "undici";
import type { ConnectionOptions } from "node:tls";
import type { Cancellation } from "../../core/cancellation.js";
import type { HeaderMap, ResponseEnvelope } from "../../core/envelope.js";
import { H1Exchange } from "./h1/h1-exchange.js";
import { H1Pool } from "./h1/h1-pool.js";
import type { HttpServiceOptions } from "./http-options.js";
import { UpstreamCall } from "./upstream-call.js";

/** How one target's requests travel: Rosetta's own HTTP/1.1 client, or undici's Pool. */
export interface UpstreamTransport {
  /** `budget` covers queueing, connecting and the reply head; `onDeadline` makes the error past it. */
  send(method: string, path: string, headers: HeaderMap, body: Uint8Array | Readable | null, budget: number, onDeadline: () => Error, cancellation: Cancellation): Promise<ResponseEnvelope>;
  close(): Promise<void>;
}

export function upstreamTransport(origin: string, options: HttpServiceOptions, tls: ConnectionOptions | undefined): UpstreamTransport {
  return options.transport === "undici" ? undiciTransport(origin, options, tls) : rosettaTransport(origin, options, tls);
}

function rosettaTransport(origin: string, options: HttpServiceOptions, tls: ConnectionOptions | undefined): UpstreamTransport {
  const pool = new H1Pool(origin, { connections: options.connections, keepAliveTimeout: options.keepAliveTimeout, connectTimeout: options.connectTimeout, bodyTimeout: options.bodyTimeout, tls });
  return {
    send(method, path, headers, body, budget, onDeadline, cancellation) {
      const exchange = new H1Exchange(method, path, headers, body, budget, onDeadline, cancellation);
      pool.dispatch(exchange);
      return exchange.response;
    },
    close: async () => pool.close(),
  };
}

function undiciTransport(origin: string, options: HttpServiceOptions, tls: ConnectionOptions | undefined): UpstreamTransport {
  const pool = new Pool(origin, {
    connections: options.connections,
    keepAliveTimeout: options.keepAliveTimeout,
    connectTimeout: options.connectTimeout,
    // The per-attempt deadline is ours (it also covers connecting and queueing).
    headersTimeout: 0,
    bodyTimeout: options.bodyTimeout,
    ...(tls === undefined ? {} : { connect: tls }),
  });
  return {
    send(method, path, headers, body, budget, onDeadline, cancellation) {
      const call = new UpstreamCall(method === "HEAD", budget, onDeadline, cancellation);
      pool.dispatch({ origin, method, path, headers, body: body as never }, call);
      return call.response;
    },
    close: () => pool.close().catch(() => {}),
  };
}
