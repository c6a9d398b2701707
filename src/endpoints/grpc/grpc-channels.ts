import { Client, credentials, type ChannelOptions } from "@grpc/grpc-js";
import type { GrpcServiceOptions } from "./grpc-options.js";

/**
 * One grpc-js channel per target, used round-robin. A channel multiplexes
 * every call over one HTTP/2 connection, reconnects with backoff by itself
 * and keeps the connection alive with pings.
 */
export class GrpcChannels {
  readonly #clients: Client[];
  #next = 0;

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
  }

  next(): Client {
    const client = this.#clients[this.#next]!;
    this.#next = this.#next + 1 === this.#clients.length ? 0 : this.#next + 1;
    return client;
  }

  close(): void {
    for (const client of this.#clients) client.close();
  }
}
