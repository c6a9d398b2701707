import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { once } from "node:events";
import { isIPv6 } from "node:net";
import type { Peer } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { Frame } from "../../frames/frame.js";
import type { FrameFormat } from "../../frames/frame-format.js";
import { FrameSession, type FrameSink } from "../frame-session.js";
import type { Listener, ListenerContext, ListenerFactory } from "../listener.js";
import { SourceRate } from "./source-rate.js";
import { udpListenerSchema, type UdpListenerOptions } from "./udp-options.js";

// A client stream could never be fed or ended by a later datagram (each is a call of its own).
const oneDatagram = new GatewayError(StatusCode.INVALID_ARGUMENT, 'a UDP call is one datagram: a client stream must be ended ("end": true) in the frame that opens it');

/**
 * One frame per datagram, the reply to the sender. Anti-amplification: the
 * frames sent in answer to a datagram never add up to more bytes than the
 * datagram had. A reply that would is replaced by an error frame telling
 * the caller to pad its request or use TCP, or, when even that does not fit,
 * by nothing. Datagrams over a source's rate are dropped unanswered.
 */
class UdpListener implements Listener {
  readonly protocol = "udp";
  readonly name: string;
  readonly #options: UdpListenerOptions & { readonly name: string };
  readonly #context: ListenerContext;
  readonly #format: FrameFormat;
  readonly #socket: Socket;
  readonly #rate: SourceRate;
  readonly #prune: NodeJS.Timeout;
  readonly #sessions = new Set<FrameSession>();

  constructor(options: UdpListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.name = options.name;
    this.#options = options;
    this.#context = context;
    this.#format = context.frameFormats.get(options.codec).create(context.codecs, options);
    this.#rate = new SourceRate(options.ratePerSource);
    this.#socket = createSocket({ type: isIPv6(options.host) ? "udp6" : "udp4" });
    this.#socket.on("message", (datagram, remote) => this.#onDatagram(datagram, remote));
    this.#socket.on("error", (error) => context.logger.error("udp socket error", { listener: options.name, error: error.message }));
    this.#prune = setInterval(() => this.#rate.prune(), 10_000);
    this.#prune.unref();
  }

  #onDatagram(datagram: Buffer, remote: RemoteInfo): void {
    if (!this.#rate.take(remote.address)) return;
    const sink = new DatagramSink(this.#socket, this.#format, remote, datagram.byteLength);
    const peer: Peer = { address: remote.address, port: remote.port, listener: this.name, protocol: "udp", scheme: "http" };
    const session = new FrameSession(this.#context, this.#format, sink, peer, {
      maxInFlight: 1,
      maxReplyBytes: this.#options.maxReplyBytes,
      maxQueuedMessages: 1,
    });
    if (datagram.byteLength > this.#options.maxFrameBytes) {
      session.reject(new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `a datagram of ${datagram.byteLength} bytes exceeds the limit of ${this.#options.maxFrameBytes}`, { httpStatus: 413 }));
      return;
    }
    if (this.#sessions.size >= this.#options.maxInFlight) {
      session.reject(new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `more than ${this.#options.maxInFlight} calls in flight on this listener`));
      return;
    }
    this.#sessions.add(session);
    sink.onFinished = () => this.#sessions.delete(session);
    session.endInput(oneDatagram);
    session.receive(datagram);
  }

  async start(): Promise<void> {
    this.#socket.bind(this.#options.port, this.#options.host);
    await once(this.#socket, "listening");
  }

  address(): { host: string; port: number } {
    const bound = this.#socket.address();
    return { host: bound.address, port: bound.port };
  }

  async close(graceMs: number): Promise<void> {
    clearInterval(this.#prune);
    const deadline = Date.now() + graceMs;
    while (this.#sessions.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const session of this.#sessions) session.close(new GatewayError(StatusCode.UNAVAILABLE, "the gateway is shutting down"));
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/** The replies to one datagram, within its byte budget. */
class DatagramSink implements FrameSink {
  onFinished: (() => void) | undefined;
  #budget: number;
  readonly #received: number;

  constructor(
    readonly socket: Socket,
    readonly format: FrameFormat,
    readonly remote: RemoteInfo,
    received: number,
  ) {
    this.#budget = received;
    this.#received = received;
  }

  send(frame: Frame): boolean {
    let bytes = this.format.encode(frame);
    let replaced = false;
    if (bytes.byteLength > this.#budget) {
      replaced = true;
      const message = `the reply of ${bytes.byteLength} bytes is larger than the request datagram (${this.#received} bytes); pad the request or use TCP`;
      const refusal = new GatewayError(StatusCode.RESOURCE_EXHAUSTED, message, { httpStatus: 413 });
      bytes = this.format.encode({
        id: frame.id,
        status: refusal.httpStatus,
        headers: { "content-type": "application/json" },
        body: { kind: "bytes", bytes: Buffer.from(JSON.stringify(refusal.toStatus())) },
      });
      if (bytes.byteLength > this.#budget) {
        this.#budget = 0;
        this.#finish(frame);
        return false;
      }
    }
    // Once a reply was refused, nothing more goes to this datagram's sender.
    this.#budget = replaced ? 0 : this.#budget - bytes.byteLength;
    this.socket.send(bytes, this.remote.port, this.remote.address);
    this.#finish(frame);
    return true;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  #finish(frame: Frame): void {
    if (frame.status !== undefined) this.onFinished?.();
  }
}

export const udpListenerFactory: ListenerFactory<UdpListenerOptions> = {
  protocol: "udp",
  optionsSchema: udpListenerSchema,
  create: (options, context) => new UdpListener(options, context),
};
