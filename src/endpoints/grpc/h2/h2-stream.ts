/**
 * One call's stream as the connection sees it. The call object itself is
 * the stream (no separate record per call): the connection keeps its send
 * state in these fields and reports what arrives through the methods.
 */
export abstract class H2Stream {
  /** Assigned when the stream opens on a connection; 0 while it waits. */
  id = 0;
  /** Bytes of the request body (prefix and message) not yet sent, from `sentUpTo`. */
  unsent: Buffer | undefined = undefined;
  sentUpTo = 0;
  /** This stream's send window (the peer's SETTINGS_INITIAL_WINDOW_SIZE, then WINDOW_UPDATEs). */
  sendWindow = 0;
  /** DATA bytes received and not yet acknowledged with a WINDOW_UPDATE. */
  unacknowledged = 0;
  /** False: the connection acknowledges DATA as it arrives. True: the stream does, as its reader takes messages (backpressure). */
  readonly acknowledgesOnRead: boolean = false;
  /** Set once the connection handed the stream to another connection after a GOAWAY or REFUSED_STREAM: retried once only. */
  retried = false;

  /** Bytes of the header block (fixed method part and per-call fields). */
  abstract readonly headerBlockSize: number;
  /** Writes the header block at `offset`; returns the offset after it. */
  abstract writeHeaderBlock(target: Buffer, offset: number): number;
  /** The request message; the connection frames it with the 5-byte gRPC prefix. */
  abstract readonly message: Buffer;

  /** A HEADERS block (the response head, or the trailers with END_STREAM). */
  abstract headers(fields: string[], endStream: boolean): void;
  abstract data(payload: Buffer, endStream: boolean): void;
  /** The peer reset the stream. */
  abstract reset(code: number): void;
  /**
   * The connection is gone before the stream ended. `established` is false
   * when no HTTP/2 connection was ever set up (no call reached the upstream).
   */
  abstract lost(reason: string, established: boolean): void;
}
