import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import { FrameReader, type FrameSink } from "./frame-reader.js";
import {
  CONNECTION_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_SIZE,
  FrameType,
  MAX_WINDOW,
  Setting,
  errorName,
  frame,
  goawayFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "./frames.js";
import { CompressionError, HpackDecoder } from "./hpack-decoder.js";
import type { H2Stream } from "./h2-stream.js";

/** Receive windows this side grants: large enough that a 4 MiB reply rarely waits for a WINDOW_UPDATE. */
const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** The SETTINGS sent with the preface: no server push, the larger stream window. */
const clientPreface = Buffer.concat([
  CONNECTION_PREFACE,
  settingsFrame([
    [Setting.ENABLE_PUSH, 0],
    [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
  ]),
  windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW),
]);
const settingsAck = frame(FrameType.SETTINGS, Flag.ACK, 0);
/** The largest header block accepted (compressed): beyond it a CONTINUATION flood is cut off. */
const MAX_HEADER_BLOCK = 1024 * 1024;
const PING_PAYLOAD = Buffer.from("rosetta!", "latin1");
const pingFrame = frame(FrameType.PING, 0, 0, PING_PAYLOAD);

export interface H2Target {
  readonly host: string;
  readonly port: number;
  /** TLS options (CA, client certificate, servername…); undefined for cleartext (h2c with prior knowledge). */
  readonly tls: ConnectionOptions | undefined;
  readonly keepaliveTime: number;
  readonly keepaliveTimeout: number;
  /** How long the server may take to send its SETTINGS after the connection opens. */
  readonly handshakeTimeout: number;
}

/** What a connection tells the channel that owns it. */
export interface ConnectionOwner {
  /** The server's first SETTINGS arrived: the connection carries calls. */
  established(connection: H2Connection): void;
  /** No new calls may start here (GOAWAY received, stream ids used up, closed). */
  retired(connection: H2Connection, established: boolean, reason: string): void;
  /**
   * A stream the server never processed: start it elsewhere. `sent` is true
   * for one the server refused (above a GOAWAY's last stream id, or
   * REFUSED_STREAM), false for one still queued here.
   */
  refused(stream: H2Stream, sent: boolean, reason: string): void;
}

/** A connection error this side detects: GOAWAY with `code`, then the socket is closed. */
class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One HTTP/2 client connection (RFC 9113) over a net or tls socket: the
 * preface and SETTINGS exchange, HPACK decoding, flow control both ways,
 * max-concurrent-streams queueing, PING keepalive and GOAWAY. Streams are
 * the calls themselves (H2Stream); frames are written with as few socket
 * writes as possible: a call whose body fits the windows is one buffer.
 */
export class H2Connection implements FrameSink {
  readonly #owner: ConnectionOwner;
  readonly #target: H2Target;
  readonly #socket: Socket;
  readonly #reader: FrameReader;
  readonly #decoder = new HpackDecoder();
  readonly #streams = new Map<number, H2Stream>();
  /** Streams waiting for the handshake, for a free stream slot, or for send window. */
  #waiting: H2Stream[] = [];
  #blocked: H2Stream[] = [];
  #nextStreamId = 1;
  #established = false;
  #retired = false;
  #closed = false;
  // Peer settings.
  #maxConcurrentStreams = Number.POSITIVE_INFINITY;
  #initialWindow = DEFAULT_WINDOW;
  #maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #sendWindow = DEFAULT_WINDOW;
  #unacknowledged = 0;
  // A header block continued in CONTINUATION frames.
  #blockStream = 0;
  #blockEndStream = false;
  #blockFragments: Buffer[] = [];
  #blockSize = 0;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #pingWatchdog: NodeJS.Timeout | undefined;
  /** Writes of one event-loop turn go out together: corked at the first, uncorked (one writev) by an immediate. */
  #corked = false;
  readonly #uncork = () => {
    this.#corked = false;
    this.#socket.uncork();
  };

  constructor(target: H2Target, owner: ConnectionOwner) {
    this.#owner = owner;
    this.#target = target;
    this.#reader = new FrameReader(this, DEFAULT_MAX_FRAME_SIZE);
    const socket =
      target.tls === undefined ? connectTcp({ host: target.host, port: target.port, noDelay: true }) : connectTls({ host: target.host, port: target.port, ALPNProtocols: ["h2"], ...target.tls });
    this.#socket = socket;
    socket.on(target.tls === undefined ? "connect" : "secureConnect", () => this.#opened());
    socket.on("data", (chunk: Buffer) => this.#reader.push(chunk));
    socket.on("error", (error: Error) => this.#destroy(error.message));
    socket.on("close", () => this.#destroy("the upstream closed the connection"));
    socket.unref();
    this.#handshakeTimer = setTimeout(() => this.#destroy(`no HTTP/2 SETTINGS from the upstream within ${target.handshakeTimeout} ms`), target.handshakeTimeout);
    this.#handshakeTimer.unref();
  }

  get established(): boolean {
    return this.#established;
  }

  /** True while new streams may start here. */
  get usable(): boolean {
    return !this.#retired;
  }

  #opened(): void {
    const socket = this.#socket;
    if ("alpnProtocol" in socket && socket.alpnProtocol !== "h2") {
      this.#destroy(`the upstream did not agree to HTTP/2 in the TLS handshake (ALPN ${String(socket.alpnProtocol)})`);
      return;
    }
    socket.setNoDelay(true);
    socket.write(clientPreface);
  }

  /** Starts a stream now, or queues it until the handshake is done or a stream slot frees. */
  start(stream: H2Stream): void {
    if (this.#established && this.#streams.size < this.#maxConcurrentStreams && this.#waiting.length === 0) this.#open(stream);
    else this.#waiting.push(stream);
  }

  /** Ends a stream this side gives up on (deadline, cancellation, a reply it refuses): RST_STREAM, or out of the queue. */
  cancel(stream: H2Stream, code: number): void {
    if (stream.id === 0) {
      const index = this.#waiting.indexOf(stream);
      if (index >= 0) this.#waiting.splice(index, 1);
      return;
    }
    if (this.#streams.delete(stream.id)) {
      if (!this.#closed) this.#write(rstStreamFrame(stream.id, code));
      this.#unblock(stream);
      this.#streamEnded();
    }
  }

  #open(stream: H2Stream): void {
    if (this.#nextStreamId > MAX_WINDOW) {
      // Stream ids are used up: this connection finishes its calls, the next one takes new ones.
      this.#retire("stream ids used up");
      this.#owner.refused(stream, false, "stream ids used up");
      return;
    }
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    stream.id = id;
    stream.sendWindow = this.#initialWindow;
    stream.unacknowledged = 0;
    this.#streams.set(id, stream);
    const blockSize = stream.headerBlockSize;
    const message = stream.message;
    const bodySize = 5 + message.byteLength;
    const maxFrame = this.#maxFrameSize;
    if (blockSize <= maxFrame && bodySize <= maxFrame && bodySize <= this.#sendWindow && bodySize <= stream.sendWindow) {
      // The common case: HEADERS, then one DATA frame with END_STREAM, in one buffer and one write.
      const out = Buffer.allocUnsafe(2 * FRAME_HEADER_SIZE + blockSize + bodySize);
      writeFrameHeader(out, 0, blockSize, FrameType.HEADERS, Flag.END_HEADERS, id);
      let offset = stream.writeHeaderBlock(out, FRAME_HEADER_SIZE);
      writeFrameHeader(out, offset, bodySize, FrameType.DATA, Flag.END_STREAM, id);
      offset += FRAME_HEADER_SIZE;
      out[offset] = 0;
      out.writeUInt32BE(message.byteLength, offset + 1);
      message.copy(out, offset + 5);
      this.#sendWindow -= bodySize;
      stream.sendWindow -= bodySize;
      this.#write(out);
      return;
    }
    const socket = this.#socket;
    socket.cork();
    const block = Buffer.allocUnsafe(blockSize);
    stream.writeHeaderBlock(block, 0);
    // A header block over the peer's frame size goes on in CONTINUATION frames, back to back.
    for (let offset = 0, first = true; first || offset < blockSize; first = false) {
      const length = Math.min(maxFrame, blockSize - offset);
      const last = offset + length === blockSize;
      const head = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
      writeFrameHeader(head, 0, length, first ? FrameType.HEADERS : FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, id);
      socket.write(head);
      if (length > 0) socket.write(block.subarray(offset, offset + length));
      offset += length;
    }
    const body = Buffer.allocUnsafe(bodySize);
    body[0] = 0;
    body.writeUInt32BE(message.byteLength, 1);
    message.copy(body, 5);
    stream.unsent = body;
    stream.sentUpTo = 0;
    this.#sendData(stream);
    socket.uncork();
    if (stream.unsent !== undefined) this.#blocked.push(stream);
  }

  /** Sends as much of a stream's body as the windows allow; END_STREAM with the last byte. */
  /** A write batched with the others of this event-loop turn: many calls, one syscall. */
  #write(bytes: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(this.#uncork);
    }
    this.#socket.write(bytes);
  }

  #sendData(stream: H2Stream): void {
    const body = stream.unsent;
    if (body === undefined) return;
    let offset = stream.sentUpTo;
    while (offset < body.byteLength) {
      const length = Math.min(this.#maxFrameSize, body.byteLength - offset, this.#sendWindow, stream.sendWindow);
      if (length <= 0) break;
      const last = offset + length === body.byteLength;
      const head = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
      writeFrameHeader(head, 0, length, FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id);
      this.#socket.write(head);
      this.#socket.write(body.subarray(offset, offset + length));
      offset += length;
      this.#sendWindow -= length;
      stream.sendWindow -= length;
    }
    stream.sentUpTo = offset;
    if (offset === body.byteLength) stream.unsent = undefined;
  }

  #unblock(stream: H2Stream): void {
    if (stream.unsent === undefined) return;
    stream.unsent = undefined;
    const index = this.#blocked.indexOf(stream);
    if (index >= 0) this.#blocked.splice(index, 1);
  }

  /** Window opened: blocked bodies go on, in the order they were blocked. */
  #flushBlocked(): void {
    if (this.#blocked.length === 0) return;
    this.#socket.cork();
    const still: H2Stream[] = [];
    for (const stream of this.#blocked) {
      this.#sendData(stream);
      if (stream.unsent !== undefined) still.push(stream);
    }
    this.#blocked = still;
    this.#socket.uncork();
  }

  /** A stream slot freed: queued streams start; a retired connection closes when its last stream ends. */
  #streamEnded(): void {
    while (this.#established && !this.#retired && this.#streams.size < this.#maxConcurrentStreams) {
      const next = this.#waiting.shift();
      if (next === undefined) break;
      this.#open(next);
    }
    if (this.#retired && this.#streams.size === 0 && !this.#closed) this.#shutdown();
  }

  /** Called by a stream's end (trailers, END_STREAM): it leaves the table. */
  finished(stream: H2Stream): void {
    if (this.#streams.delete(stream.id)) {
      this.#unblock(stream);
      this.#streamEnded();
    }
  }

  // ---- incoming frames ----

  frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    try {
      if (this.#blockStream !== 0 && type !== FrameType.CONTINUATION) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a header block was interrupted by another frame");
      switch (type) {
        case FrameType.DATA:
          this.#data(flags, streamId, payload);
          return;
        case FrameType.HEADERS:
          this.#headers(flags, streamId, payload);
          return;
        case FrameType.CONTINUATION:
          this.#continuation(flags, streamId, payload);
          return;
        case FrameType.RST_STREAM:
          this.#rstStream(streamId, payload);
          return;
        case FrameType.SETTINGS:
          this.#settings(flags, streamId, payload);
          return;
        case FrameType.PING:
          this.#ping(flags, streamId, payload);
          return;
        case FrameType.GOAWAY:
          this.#goaway(streamId, payload);
          return;
        case FrameType.WINDOW_UPDATE:
          this.#windowUpdate(streamId, payload);
          return;
        case FrameType.PUSH_PROMISE:
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a PUSH_PROMISE though push was disabled");
        default:
          // PRIORITY and unknown frame types are ignored (§5.5).
          if (!this.#established) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "the server's first frame is not SETTINGS");
      }
    } catch (error) {
      if (error instanceof ConnectionError) this.#connectionError(error.code, error.message);
      else if (error instanceof CompressionError) this.#connectionError(ErrorCode.COMPRESSION_ERROR, `an undecodable header block (${error.message})`);
      else throw error;
    }
  }

  oversized(length: number): void {
    this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, `a frame of ${length} bytes, over the ${DEFAULT_MAX_FRAME_SIZE} allowed`);
  }

  #requireEstablished(): void {
    if (!this.#established) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "the server's first frame is not SETTINGS");
  }

  /** A padded payload without its padding (§6.1). */
  #unpad(flags: number, payload: Buffer): Buffer {
    if ((flags & Flag.PADDED) === 0) return payload;
    const padding = payload[0] ?? 0;
    if (payload.byteLength === 0 || padding >= payload.byteLength) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "padding longer than its frame");
    return payload.subarray(1, payload.byteLength - padding);
  }

  #data(flags: number, streamId: number, payload: Buffer): void {
    this.#requireEstablished();
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a DATA frame on stream 0");
    // Flow control counts the whole frame, padding included, whether or not the stream is still wanted.
    const size = payload.byteLength;
    this.#unacknowledged += size;
    if (this.#unacknowledged >= CONNECTION_WINDOW / 2) {
      this.#write(windowUpdateFrame(0, this.#unacknowledged));
      this.#unacknowledged = 0;
    }
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return;
    const data = this.#unpad(flags, payload);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (endStream) this.finished(stream);
    else if (!stream.acknowledgesOnRead) this.acknowledge(stream, size);
    stream.data(data, endStream);
  }

  /** `bytes` of a stream's DATA are consumed: a WINDOW_UPDATE once half its window is. */
  acknowledge(stream: H2Stream, bytes: number): void {
    if (this.#closed || !this.#streams.has(stream.id)) return;
    stream.unacknowledged += bytes;
    if (stream.unacknowledged >= STREAM_WINDOW / 2) {
      this.#write(windowUpdateFrame(stream.id, stream.unacknowledged));
      stream.unacknowledged = 0;
    }
  }

  #headers(flags: number, streamId: number, payload: Buffer): void {
    this.#requireEstablished();
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a HEADERS frame on stream 0");
    let fragment = this.#unpad(flags, payload);
    if (flags & Flag.PRIORITY) {
      if (fragment.byteLength < 5) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "a HEADERS frame too short for its priority");
      fragment = fragment.subarray(5);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) {
      this.#headerBlock(streamId, fragment, endStream);
      return;
    }
    this.#blockStream = streamId;
    this.#blockEndStream = endStream;
    this.#blockFragments = [Buffer.from(fragment)];
    this.#blockSize = fragment.byteLength;
  }

  #continuation(flags: number, streamId: number, payload: Buffer): void {
    if (this.#blockStream === 0 || streamId !== this.#blockStream) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a CONTINUATION frame that continues no header block");
    this.#blockFragments.push(Buffer.from(payload));
    this.#blockSize += payload.byteLength;
    if (this.#blockSize > MAX_HEADER_BLOCK) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block over ${MAX_HEADER_BLOCK} bytes`);
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.#blockFragments);
    this.#blockStream = 0;
    this.#blockFragments = [];
    this.#headerBlock(streamId, block, this.#blockEndStream);
  }

  /** Every block is decoded, even for a stream already given up, to keep the HPACK table in step. */
  #headerBlock(streamId: number, block: Buffer, endStream: boolean): void {
    const fields = this.#decoder.decode(block);
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return;
    if (endStream) this.finished(stream);
    stream.headers(fields, endStream);
  }

  #rstStream(streamId: number, payload: Buffer): void {
    this.#requireEstablished();
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.byteLength !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "an RST_STREAM frame that is not 4 bytes");
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return;
    const code = payload.readUInt32BE(0);
    this.finished(stream);
    // REFUSED_STREAM says the server did no work on it: it may start again elsewhere (RFC 9113 §8.7).
    if (code === ErrorCode.REFUSED_STREAM) {
      stream.id = 0;
      this.#owner.refused(stream, true, "the upstream refused the call (REFUSED_STREAM)");
    } else stream.reset(code);
  }

  #settings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & Flag.ACK) {
      if (payload.byteLength !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "a SETTINGS acknowledgement with a payload");
      this.#requireEstablished();
      return;
    }
    if (payload.byteLength % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "a SETTINGS frame whose length is not a multiple of 6");
    for (let offset = 0; offset < payload.byteLength; offset += 6) {
      const id = payload.readUInt16BE(offset);
      const value = payload.readUInt32BE(offset + 2);
      if (id === Setting.MAX_CONCURRENT_STREAMS) this.#maxConcurrentStreams = value;
      else if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value} is over 2^31-1`);
        // A new initial window shifts every open stream's window by the difference (§6.9.2).
        const delta = value - this.#initialWindow;
        this.#initialWindow = value;
        for (const stream of this.#streams.values()) stream.sendWindow += delta;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 0xff_ffff) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value} is out of range`);
        this.#maxFrameSize = value;
      } else if (id === Setting.ENABLE_PUSH && value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}`);
      // HEADER_TABLE_SIZE needs nothing: the encoder never uses the dynamic table.
    }
    this.#socket.write(settingsAck);
    if (!this.#established) {
      this.#established = true;
      clearTimeout(this.#handshakeTimer);
      this.#startPings();
      this.#owner.established(this);
    }
    this.#streamEnded();
    this.#flushBlocked();
  }

  #ping(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
    if (payload.byteLength !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "a PING frame that is not 8 bytes");
    if (flags & Flag.ACK) {
      clearTimeout(this.#pingWatchdog);
      this.#pingWatchdog = undefined;
      return;
    }
    // Batched with this turn's other writes: grpc-go pings with every burst of DATA (BDP estimation); a syscall per ACK showed in profiles.
    this.#write(frame(FrameType.PING, Flag.ACK, 0, payload));
  }

  #goaway(streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
    if (payload.byteLength < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "a GOAWAY frame shorter than 8 bytes");
    const lastStreamId = payload.readUInt32BE(0) & 0x7fff_ffff;
    const code = payload.readUInt32BE(4);
    const reason = `the upstream sent GOAWAY (${errorName(code)})`;
    this.#retire(reason);
    // Streams above the last id were never processed: they start again on another connection.
    for (const [id, stream] of this.#streams) {
      if (id <= lastStreamId) continue;
      this.#streams.delete(id);
      this.#unblock(stream);
      stream.id = 0;
      this.#owner.refused(stream, true, reason);
    }
    this.#streamEnded();
  }

  #windowUpdate(streamId: number, payload: Buffer): void {
    if (payload.byteLength !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "a WINDOW_UPDATE frame that is not 4 bytes");
    const increment = payload.readUInt32BE(0) & 0x7fff_ffff;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a WINDOW_UPDATE of 0 for the connection");
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "the connection's send window grew over 2^31-1");
    } else {
      const stream = this.#streams.get(streamId);
      if (stream === undefined) return;
      stream.sendWindow += increment;
      if (increment === 0 || stream.sendWindow > MAX_WINDOW) {
        this.cancel(stream, increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR);
        stream.reset(increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR);
        return;
      }
    }
    this.#flushBlocked();
  }

  // ---- keepalive, shutdown ----

  /** A PING every keepaliveTime; one unanswered for keepaliveTimeout drops the connection. */
  #startPings(): void {
    this.#pingTimer = setInterval(() => {
      if (this.#pingWatchdog !== undefined) return;
      this.#socket.write(pingFrame);
      this.#pingWatchdog = setTimeout(() => this.#destroy(`a keepalive PING went unanswered for ${this.#target.keepaliveTimeout} ms`), this.#target.keepaliveTimeout);
      this.#pingWatchdog.unref();
    }, this.#target.keepaliveTime);
    this.#pingTimer.unref();
  }

  #retire(reason: string): void {
    if (this.#retired) return;
    this.#retired = true;
    this.#owner.retired(this, this.#established, reason);
    // Streams queued on an established connection start elsewhere; on one that never came up they fail with it.
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const stream of waiting) {
      if (this.#established) this.#owner.refused(stream, false, reason);
      else stream.lost(reason, false);
    }
  }

  /** Graceful end once idle: GOAWAY(NO_ERROR), then the socket. */
  #shutdown(): void {
    this.#closed = true;
    this.#stopTimers();
    this.#socket.end(goawayFrame(0, ErrorCode.NO_ERROR));
  }

  /** Closes now (the gateway stops): streams still open fail. */
  close(): void {
    this.#retire("the channel closed");
    if (this.#streams.size === 0) {
      if (!this.#closed) this.#shutdown();
      return;
    }
    this.#destroy("the channel closed");
  }

  #connectionError(code: number, reason: string): void {
    this.#reader.stop();
    if (!this.#closed) this.#socket.write(goawayFrame(0, code));
    this.#destroy(`the upstream broke the HTTP/2 protocol: ${reason}`);
  }

  #stopTimers(): void {
    clearTimeout(this.#handshakeTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pingWatchdog);
  }

  /** The connection is gone: every open or queued stream fails with `reason`. */
  #destroy(reason: string): void {
    if (this.#closed && this.#streams.size === 0 && this.#waiting.length === 0) {
      this.#socket.destroy();
      return;
    }
    this.#closed = true;
    this.#stopTimers();
    this.#reader.stop();
    this.#socket.destroy();
    const established = this.#established;
    this.#retire(reason);
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    this.#blocked = [];
    for (const stream of streams) stream.lost(reason, established);
  }
}
