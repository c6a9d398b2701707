import { once } from "node:events";
import type { Client, ClientDuplexStream, ClientReadableStream, Metadata, ServiceError, StatusObject } from "@grpc/grpc-js";
import type { Cancellation } from "../../core/cancellation.js";
import type { GatewayError } from "../../core/gateway-error.js";
import type { CallMetadata } from "./grpc-metadata.js";

/** Messages travel as bytes: Rosetta encodes and decodes them itself, once, with its own codec. */
const identity = (bytes: Buffer) => bytes;

/** A failed call's status (from grpc-js or the HTTP/2 path) → the GatewayError the caller sees. */
export type StatusToError = (status: CallStatus) => GatewayError;

export interface CallStatus {
  readonly code: number;
  readonly details?: string | undefined;
  /** The trailing metadata. */
  readonly metadata?: Metadata | undefined;
  /** The response header metadata, when the upstream sent headers before failing (not a trailers-only reply). */
  readonly headers?: Metadata | undefined;
  /** Set by the HTTP/2 path when the reply broke the gRPC protocol; `details` then names the problem. */
  readonly malformed?: boolean;
  /** Set by the HTTP/2 path when no gRPC server answered (connect failed, refused, reset, or an HTTP 502/503/504 in front). */
  readonly transport?: boolean;
}

export interface UnaryResult {
  readonly message: Buffer;
  readonly headers: Metadata | undefined;
  readonly trailers: Metadata | undefined;
}

/** One call's parameters; the client (channel) is chosen by GrpcChannels. */
export interface CallOptions {
  readonly path: string;
  readonly metadata: CallMetadata;
  readonly deadline: Date;
  readonly cancellation: Cancellation;
  readonly toError: StatusToError;
}

/** A unary call; a caller that leaves cancels it. Resolves after the trailers, so they can be returned too. */
export function callUnary(client: Client, options: CallOptions, request: Buffer): Promise<UnaryResult> {
  return new Promise((resolve, reject) => {
    const { path, metadata, deadline, cancellation, toError } = options;
    let headers: Metadata | undefined;
    let message: Buffer | undefined;
    let failure: ServiceError | undefined;
    const call = client.makeUnaryRequest(path, identity, identity, request, metadata.toMetadata(), { deadline }, (error, value) => {
      failure = error ?? undefined;
      message = value;
    });
    const stopCancel = cancellation.onCancel(() => call.cancel());
    call.on("metadata", (received: Metadata) => (headers = received));
    call.on("status", (status: StatusObject) => {
      stopCancel();
      if (cancellation.cancelled) reject(cancellation.reason);
      else if (failure !== undefined || message === undefined) reject(toError(unaryFailure(status, failure, headers)));
      else resolve({ message, headers, trailers: status.metadata });
    });
  });
}

/**
 * The status of a call that gave no single message: an OK status without one
 * (grpc-js says "No message received" or "Too many responses received") is a
 * reply that broke the protocol.
 */
function unaryFailure(status: StatusObject, failure: ServiceError | undefined, headers: Metadata | undefined): CallStatus {
  if (status.code !== 0) return failure === undefined ? { ...status, headers } : { code: failure.code, details: failure.details, metadata: failure.metadata, headers };
  return { code: status.code, details: `the call ended OK with ${failure?.details === "Too many responses received" ? "more than one response message" : "no response message"}`, malformed: true };
}

/** Feeds request messages into a client-side stream, honouring its backpressure, then half-closes it. */
async function feed(call: { write(message: Buffer): boolean; end(): void; destroyed?: boolean } & NodeJS.EventEmitter, messages: AsyncIterable<Buffer>): Promise<void> {
  for await (const message of messages) {
    if (!call.write(message)) await once(call, "drain");
  }
  call.end();
}

/** A client-streaming call: the request messages are written as they come, the single response is returned. */
export function callClientStream(client: Client, options: CallOptions, messages: AsyncIterable<Buffer>): Promise<UnaryResult> {
  return new Promise((resolve, reject) => {
    const { path, metadata, deadline, cancellation, toError } = options;
    let headers: Metadata | undefined;
    let message: Buffer | undefined;
    let failure: ServiceError | undefined;
    let feedError: unknown;
    const call = client.makeClientStreamRequest(path, identity, identity, metadata.toMetadata(), { deadline }, (error, value) => {
      failure = error ?? undefined;
      message = value;
    });
    const stopCancel = cancellation.onCancel(() => call.cancel());
    feed(call, messages).catch((error: unknown) => {
      feedError = error;
      call.cancel();
    });
    call.on("metadata", (received: Metadata) => (headers = received));
    call.on("status", (status: StatusObject) => {
      stopCancel();
      if (cancellation.cancelled) reject(cancellation.reason);
      else if (feedError !== undefined) reject(feedError);
      else if (failure !== undefined || message === undefined) reject(toError(unaryFailure(status, failure, headers)));
      else resolve({ message, headers, trailers: status.metadata });
    });
  });
}

export interface StreamResult {
  readonly headers: Metadata | undefined;
  /** The response messages, the first already received; iteration throws a GatewayError on failure. */
  readonly messages: AsyncIterable<Buffer>;
  cancel(): void;
}

/**
 * A server-streaming or bidi call. Resolves once the first message (or the
 * end) has arrived, so an upstream that fails at once is answered with an
 * HTTP error status rather than a 200 stream that only carries an error.
 */
export async function callServerStream(client: Client, options: CallOptions, request: Buffer | AsyncIterable<Buffer>): Promise<StreamResult> {
  const { path, metadata, deadline, cancellation, toError } = options;
  let call: ClientReadableStream<Buffer> | ClientDuplexStream<Buffer, Buffer>;
  let feedError: unknown;
  if (Buffer.isBuffer(request)) {
    call = client.makeServerStreamRequest(path, identity, identity, request, metadata.toMetadata(), { deadline });
  } else {
    const duplex = client.makeBidiStreamRequest(path, identity, identity, metadata.toMetadata(), { deadline });
    feed(duplex, request).catch((error: unknown) => {
      feedError = error;
      duplex.cancel();
    });
    call = duplex;
  }
  let headers: Metadata | undefined;
  call.on("metadata", (received: Metadata) => (headers = received));
  const stopCancel = cancellation.onCancel(() => call.cancel());
  const iterator = (call as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const mapFailure = (error: unknown): unknown => {
    if (cancellation.cancelled) return cancellation.reason;
    if (feedError !== undefined) return feedError;
    if (typeof (error as ServiceError)?.code !== "number") return error;
    const { code, details, metadata } = error as ServiceError;
    return toError({ code, details, metadata, headers });
  };
  let first: IteratorResult<Buffer>;
  try {
    first = await iterator.next();
  } catch (error) {
    stopCancel();
    throw mapFailure(error);
  }
  async function* messages(): AsyncGenerator<Buffer> {
    try {
      if (first.done === true) return;
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    } catch (error) {
      throw mapFailure(error);
    } finally {
      stopCancel();
    }
  }
  return { headers, messages: messages(), cancel: () => call.cancel() };
}
