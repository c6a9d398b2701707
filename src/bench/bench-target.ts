/**
 * What `rosetta bench` drives: one kind of target per protocol (http, ws, tcp,
 * udp, grpc), each a factory registered in target-registry.ts. The engine
 * runs in worker threads, so a target is created in each worker from a
 * plain-data BenchTargetSpec.
 */

export type BenchProtocol = "http" | "ws" | "tcp" | "udp" | "grpc";

/** Everything needed to build a target; plain data, so it crosses to worker threads. */
export interface BenchTargetSpec {
  readonly protocol: BenchProtocol;
  /** http(s)://, ws(s)://, tcp://, udp:// or grpc(s)://host:port/pkg.Svc/Method. */
  readonly url: string;
  /** HTTP method, or the method a frame names (ws/tcp/udp). */
  readonly method: string;
  /** The frame's request path (ws/tcp/udp); HTTP takes the URL's path. */
  readonly path?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A body template (see body-template.ts), already read from `@file`; "" for none. */
  readonly body: string;
  /** Frame encoding for tcp targets: "ndjson" or "length-prefixed". */
  readonly framing?: string;
  /** gRPC types: .proto files and import paths; reflection when empty. */
  readonly protoFiles: readonly string[];
  readonly importPaths: readonly string[];
  /** Per-request timeout in milliseconds; a request past it counts as the error "timeout". */
  readonly timeoutMs: number;
  /** HTTP/1.1 requests written ahead on one connection (1 = no pipelining). */
  readonly pipelining: number;
  /** Frames (ws, tcp, udp) and gRPC: requests in flight at once per connection (or HTTP/2 session); 64 when unset. */
  readonly inFlightPerConnection?: number;
  /** UDP: each request datagram is padded with spaces to at least this many bytes, since a Rosetta UDP listener never answers with more bytes than it received; 1024 when unset. */
  readonly padBytes?: number;
}

/** Called once per request: ok, the outcome's key for the error table (HTTP status, gRPC code name, "timeout", an errno), bytes received. */
export type BenchDone = (ok: boolean, outcome: string, bytesReceived: number) => void;

export interface BenchConnection {
  /**
   * False once the connection has died (the server closed it, a socket error, a GOAWAY): a send
   * on it only ends with that outcome, so the engine opens a new one (redialing-connection.ts).
   */
  readonly alive: boolean;
  /** Sends request number `sequence` (for templates and correlation); calls `done` exactly once, never before send returns. */
  send(sequence: number, done: BenchDone): void;
  /** Closes the connection; requests still in flight are answered with done(false, "closed", 0). */
  close(): void;
}

/** What connect() rejects with: `outcome` (the errno, "timeout") is what the requests waiting on that connection end with. */
export class BenchConnectError extends Error {
  constructor(
    message: string,
    readonly outcome: string,
  ) {
    super(message);
  }
}

export interface BenchTarget {
  /** How many requests one connection carries at once (1 for HTTP/1.1 without pipelining, many for frames and gRPC). */
  readonly inFlightPerConnection: number;
  connect(): Promise<BenchConnection>;
  close(): Promise<void>;
}

export interface BenchTargetFactory {
  readonly protocol: BenchProtocol;
  /** Expensive work here (type loading, request pre-rendering), never per request. */
  create(spec: BenchTargetSpec): Promise<BenchTarget>;
}
