import type { Readable } from "node:stream";
import type { HeaderMap } from "./envelope.js";
import type { BodyShape } from "./body-shape.js";

/**
 * A message body as it travels through the pipeline. Listeners and endpoints
 * keep whatever form they have and convert only when the other side needs a
 * different one, so an HTTP→HTTP proxy never buffers a body.
 */
export type Body = EmptyBody | BytesBody | ValueBody | ReadableBody | PushBody | MessagesBody;

export interface EmptyBody {
  readonly kind: "empty";
}
export interface BytesBody {
  readonly kind: "bytes";
  readonly bytes: Uint8Array;
}
/** A decoded value in canonical (ProtoJSON-shaped) form; the caller's codec encodes it, typed by the shape when there is one. */
export interface ValueBody {
  readonly kind: "value";
  readonly value: unknown;
  readonly shape?: BodyShape | undefined;
}
/** A Node stream, e.g. an incoming HTTP request body. */
export interface ReadableBody {
  readonly kind: "readable";
  readonly stream: Readable;
  readonly length: number | undefined;
}
/** A push source, e.g. an upstream response body arriving from the socket. */
export interface PushBody {
  readonly kind: "push";
  readonly source: PushSource;
  readonly length: number | undefined;
}

/**
 * A stream of decoded messages (canonical values), e.g. a gRPC server stream.
 * Each listener frames them its own way (NDJSON, SSE, a JSON array, frames);
 * a failure mid-stream rejects the iteration with a GatewayError, which the
 * listener reports in-band. `format` is the route's choice when the caller
 * did not ask for one.
 */
export interface MessagesBody {
  readonly kind: "messages";
  readonly messages: AsyncIterable<unknown>;
  readonly format: StreamFormat;
  /** Stops the producer (the caller left or stopped reading). */
  cancel(reason: Error): void;
}

/** How an HTTP caller receives a message stream by default. */
export type StreamFormat = "ndjson" | "sse" | "array";

/**
 * The cheapest streaming contract: the producer writes into one sink, and
 * pauses when `write` returns false until the sink calls `resume`. It costs no
 * stream object per response, which matters on the proxy hot path.
 */
export interface PushSource {
  /** Attaches the only consumer; chunks that arrived earlier are delivered first. */
  pipe(sink: PushSink): void;
  resume(): void;
  /** Stops the producer and releases its resources, e.g. when the caller left. */
  cancel(reason: Error): void;
}

export interface PushSink {
  /** Returns false when the producer must pause until `resume`. */
  write(chunk: Uint8Array): boolean;
  end(trailers: HeaderMap): void;
  fail(error: Error): void;
}

export const emptyBody: EmptyBody = Object.freeze({ kind: "empty" });

export function bytesBody(bytes: Uint8Array): BytesBody {
  return { kind: "bytes", bytes };
}

export function valueBody(value: unknown, shape?: BodyShape): ValueBody {
  return shape === undefined ? { kind: "value", value } : { kind: "value", value, shape };
}
