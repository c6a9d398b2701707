import { isIP } from "node:net";
import type { CallMetadata } from "../grpc-metadata.js";
import type { Cancellation } from "../../../core/cancellation.js";
import { StatusCode } from "../../../core/status-code.js";
import type { ClientTls } from "../../../tls/client-tls.js";
import type { StatusToError, StreamResult, UnaryResult } from "../grpc-calls.js";
import type { Http2ChannelOptions } from "../http2-unary-channel.js";
import { H2Connection, type ConnectionOwner, type H2Target } from "./h2-connection.js";
import type { H2Stream } from "./h2-stream.js";
import { methodHeaderBlock } from "./hpack-encoder.js";
import { UnaryCall } from "./unary-call.js";
import { ServerStreamCall } from "./server-stream-call.js";

type Call = UnaryCall | ServerStreamCall;

/** host and port of a gRPC target ("dns:///host:port", "ipv4:1.2.3.4:port", "[::1]:port", "host:port"). */
function parseTarget(target: string, secure: boolean): { authority: string; host: string; port: number } {
  const authority = target.replace(/^dns:\/{0,3}/, "").replace(/^ipv4:/, "");
  const url = new URL(`http://${authority}`);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { authority, host, port: url.port === "" ? (secure ? 443 : 80) : Number(url.port) };
}

/**
 * Unary gRPC calls over Rosetta's own HTTP/2 client: one connection per
 * target (a new one after a GOAWAY while the old one drains), reconnects
 * with backoff after failed connects, and the header block of each method
 * built once. The public shape is the node:http2 channel's, so either can
 * serve GrpcChannels.
 */
export class H2UnaryChannel implements ConnectionOwner {
  readonly #authority: string;
  readonly #target: H2Target;
  readonly #secure: boolean;
  readonly #limit: number;
  readonly #blocks = new Map<string, Buffer>();
  #connection: H2Connection | undefined;
  #failures = 0;
  #retryAfter = 0;
  #closed = false;

  constructor(target: string, options: Http2ChannelOptions, tls: ClientTls | undefined) {
    this.#secure = tls !== undefined;
    const { authority, host, port } = parseTarget(target, this.#secure);
    this.#authority = authority;
    this.#limit = options.maxReceiveMessageSize;
    this.#target = {
      host,
      port,
      // With tls: the same CA, client certificate, server name and verification as the grpc-js channel.
      tls: tls === undefined ? undefined : { ...(isIP(host) === 0 ? { servername: host } : {}), ...tls.connectOptions },
      keepaliveTime: options.keepaliveTime,
      keepaliveTimeout: options.keepaliveTimeout,
      handshakeTimeout: options.keepaliveTimeout,
    };
  }

  call(path: string, request: Buffer, metadata: CallMetadata, deadline: Date, cancellation: Cancellation, toError: StatusToError): Promise<UnaryResult> {
    if (cancellation.cancelled) return Promise.reject(cancellation.reason);
    const remaining = deadline.getTime() - Date.now();
    if (remaining <= 0) return Promise.reject(toError({ code: StatusCode.DEADLINE_EXCEEDED, details: "Deadline exceeded before the call was sent" }));
    const fixed = this.#block(path);
    return new Promise((resolve, reject) => {
      const call = new UnaryCall(fixed, this.#authority, this.#limit, request, metadata, remaining, cancellation, toError, resolve, reject);
      this.#dispatch(call);
    });
  }

  /** A server-streaming call (one request message); settles at the first reply message or the end, like `callServerStream`. */
  serverStream(path: string, request: Buffer, metadata: CallMetadata, deadline: Date, cancellation: Cancellation, toError: StatusToError): Promise<StreamResult> {
    if (cancellation.cancelled) return Promise.reject(cancellation.reason);
    const remaining = deadline.getTime() - Date.now();
    if (remaining <= 0) return Promise.reject(toError({ code: StatusCode.DEADLINE_EXCEEDED, details: "Deadline exceeded before the call was sent" }));
    const fixed = this.#block(path);
    return new Promise((resolve, reject) => {
      const call = new ServerStreamCall(fixed, this.#authority, this.#limit, request, metadata, remaining, cancellation, toError, resolve, reject);
      this.#dispatch(call);
    });
  }

  /** The method's fixed header block, built on its first call. */
  #block(path: string): Buffer {
    let block = this.#blocks.get(path);
    if (block === undefined) {
      block = methodHeaderBlock(path, this.#authority, this.#secure, "rosetta");
      this.#blocks.set(path, block);
    }
    return block;
  }

  #dispatch(call: Call): void {
    const connection = this.#connectionForCall();
    if (typeof connection === "string") {
      call.connection = undefined;
      call.lost(connection, false);
      return;
    }
    call.connection = connection;
    connection.start(call);
  }

  /** The current connection, a new one, or why there is none. */
  #connectionForCall(): H2Connection | string {
    if (this.#closed) return "the channel is closed";
    const current = this.#connection;
    if (current?.usable) return current;
    // Back off after repeated connection failures instead of hammering a dead target.
    if (Date.now() < this.#retryAfter) return "retrying with backoff";
    const connection = new H2Connection(this.#target, this);
    this.#connection = connection;
    return connection;
  }

  established(): void {
    this.#failures = 0;
  }

  retired(connection: H2Connection, established: boolean): void {
    if (this.#connection === connection) this.#connection = undefined;
    if (!established) {
      this.#failures++;
      this.#retryAfter = Date.now() + Math.min(100 * 2 ** (this.#failures - 1), 5000);
    }
  }

  refused(stream: H2Stream, sent: boolean, reason: string): void {
    if (!(stream instanceof UnaryCall || stream instanceof ServerStreamCall)) return;
    if (sent) {
      // A call the server refused starts once more on a fresh connection; refused again, it fails.
      if (stream.retried) {
        stream.lost(reason, false);
        return;
      }
      stream.retried = true;
    }
    this.#dispatch(stream);
  }

  /** Closes the current connection; a draining one (after a GOAWAY) closes itself when its last call ends. */
  close(): void {
    this.#closed = true;
    this.#connection?.close();
    this.#connection = undefined;
  }
}
