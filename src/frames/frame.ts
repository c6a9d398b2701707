/**
 * One message on a framed listener or upstream (WebSocket, TCP, UDP): the
 * request/response frame of DESIGN.md. Which fields are set says what a
 * frame is; see protos/rosetta/v1/frame.proto for the rules.
 */
export interface Frame {
  readonly id: string;
  readonly method?: string | undefined;
  /** Path with an optional `?query`, as in an HTTP request line. */
  readonly path?: string | undefined;
  /** Lower-case names; `content-type` says how `body` is encoded. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: FrameBody | undefined;
  /** Set on a final reply only: no more frames follow for this id. */
  readonly status?: number | undefined;
  /** A request that opens a client stream, fed by body frames with the same id. */
  readonly stream?: boolean | undefined;
  /** Half-close: the caller sends no more stream messages. */
  readonly end?: boolean | undefined;
  /** The caller abandons the call. */
  readonly cancel?: boolean | undefined;
}

/**
 * A body inside a frame: a decoded value (JSON frames carry JSON bodies
 * inline) or bytes in the media type the frame's `content-type` names.
 */
export type FrameBody = { readonly kind: "value"; readonly value: unknown } | { readonly kind: "bytes"; readonly bytes: Uint8Array };

/** A frame could not be read: the reason, and the id when it was readable (so the error reply can name the call). */
export class FrameError extends Error {
  constructor(
    message: string,
    readonly id: string | undefined,
  ) {
    super(message);
  }
}
