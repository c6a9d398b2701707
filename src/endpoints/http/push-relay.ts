import type { PushSink, PushSource } from "../../core/body.js";
import type { HeaderMap } from "../../core/envelope.js";

/** Chunks kept while nobody reads yet; past this the upstream socket is paused. */
const maxBufferedBytes = 64 * 1024;

/**
 * The body side of one upstream reply, shared by both HTTP transports: the
 * exchange object is itself the PushSource, so no stream sits between the
 * upstream socket and the caller's. Chunks that come before the caller reads
 * are held (the producer paused past 64 KiB), then relayed to the one sink
 * with its backpressure.
 */
export abstract class PushRelay implements PushSource {
  #sink: PushSink | undefined;
  #buffered: Buffer[] | undefined;
  #bufferedBytes = 0;
  #trailers: HeaderMap | undefined;
  #failure: Error | undefined;

  /** Pauses the upstream socket. */
  protected abstract pauseProducer(): void;
  /** Resumes it after `pipe`, when it was paused before the caller read. */
  protected abstract resumeProducer(): void;
  /** Hands a failure that came before the caller read to the sink (now, or after the bytes already written leave). */
  protected abstract failLate(sink: PushSink, failure: Error): void;
  abstract resume(): void;
  abstract cancel(reason: Error): void;

  protected relayChunk(chunk: Buffer): void {
    const sink = this.#sink;
    if (sink !== undefined) {
      if (!sink.write(chunk)) this.pauseProducer();
      return;
    }
    (this.#buffered ??= []).push(chunk);
    this.#bufferedBytes += chunk.byteLength;
    if (this.#bufferedBytes > maxBufferedBytes) this.pauseProducer();
  }

  protected relayEnd(trailers: HeaderMap): void {
    this.#trailers = trailers;
    this.#sink?.end(trailers);
  }

  protected relayFailure(error: Error): void {
    this.#failure = error;
    this.#sink?.fail(error);
  }

  pipe(sink: PushSink): void {
    this.#sink = sink;
    const buffered = this.#buffered;
    this.#buffered = undefined;
    if (buffered !== undefined) for (const chunk of buffered) sink.write(chunk);
    if (this.#failure !== undefined) this.failLate(sink, this.#failure);
    else if (this.#trailers !== undefined) sink.end(this.#trailers);
    else this.resumeProducer();
  }
}
