import { Client, credentials, type ChannelOptions } from "@grpc/grpc-js";
import { callUnary, type CallOptions, type UnaryResult } from "./grpc-calls.js";
import type { GrpcServiceOptions } from "./grpc-options.js";
import { Http2UnaryChannel } from "./http2-unary-channel.js";

/**
 * The connections to a service's targets, used round-robin: a grpc-js
 * channel per target for streaming calls (and unary ones when
 * `unaryTransport: grpc-js`), and a lean node:http2 session per target for
 * unary calls by default. Both multiplex calls over one HTTP/2 connection,
 * reconnect with backoff and keep the connection alive with pings.
 */
export class GrpcChannels {
  readonly #clients: Client[];
  readonly #unaryChannels: Http2UnaryChannel[] | undefined;
  #next = 0;
  #nextUnary = 0;

  constructor(options: GrpcServiceOptions) {
    const channelOptions: ChannelOptions = {
      "grpc.max_receive_message_length": options.maxReceiveMessageSize,
      "grpc.max_send_message_length": options.maxSendMessageSize,
      "grpc.keepalive_time_ms": options.keepaliveTime,
      "grpc.keepalive_timeout_ms": options.keepaliveTimeout,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.primary_user_agent": "rosetta",
    };
    this.#clients = options.targets.map((target) => new Client(target, credentials.createInsecure(), channelOptions));
    this.#unaryChannels = options.unaryTransport === "http2" ? options.targets.map((target) => new Http2UnaryChannel(target, options)) : undefined;
  }

  /** A unary call on the configured transport. */
  unary(options: CallOptions, request: Buffer): Promise<UnaryResult> {
    const channels = this.#unaryChannels;
    if (channels === undefined) return callUnary(this.next(), options, request);
    const channel = channels[this.#nextUnary]!;
    this.#nextUnary = this.#nextUnary + 1 === channels.length ? 0 : this.#nextUnary + 1;
    return channel.call(options.path, request, options.metadata, options.deadline, options.cancellation, options.toError);
  }

  /** The next grpc-js channel, for streaming calls. */
  next(): Client {
    const client = this.#clients[this.#next]!;
    this.#next = this.#next + 1 === this.#clients.length ? 0 : this.#next + 1;
    return client;
  }

  close(): void {
    for (const client of this.#clients) client.close();
    for (const channel of this.#unaryChannels ?? []) channel.close();
  }
}
