import { Client, connectivityState, type ChannelOptions } from "@grpc/grpc-js";
import type { ClientTls } from "../../tls/client-tls.js";
import { grpcCredentials } from "./grpc-credentials.js";
import { StatusCode } from "../../core/status-code.js";
import type { RequestEnvelope } from "../../core/envelope.js";
import type { Logger } from "../../observability/logger.js";
import { HealthChecker } from "../health-checker.js";
import { TargetBalancer, type TargetStatus } from "../target-balancer.js";
import { grpcHealthProbe } from "./grpc-health-probe.js";
import { callUnary, type CallOptions, type CallStatus, type StatusToError, type UnaryResult } from "./grpc-calls.js";
import type { GrpcServiceOptions } from "./grpc-options.js";
import { Http2UnaryChannel } from "./http2-unary-channel.js";

/** One target's connections: a grpc-js channel, and the lean HTTP/2 one for unary calls when it is the transport. */
interface GrpcTarget {
  readonly client: Client;
  readonly unary: Http2UnaryChannel | undefined;
}

/** What a failed unary call says about its target; undefined says nothing (cancelled by the caller, or a malformed reply). */
type Verdict = "failed" | "answered" | undefined;

/**
 * The connections to a service's targets, balanced round-robin with outlier
 * ejection like the HTTP and TCP endpoints: a grpc-js channel per target for
 * streaming calls (and unary ones when `unaryTransport: grpc-js`), and a lean
 * node:http2 session per target for unary calls by default. Both multiplex
 * calls over one HTTP/2 connection, reconnect with backoff and keep the
 * connection alive with pings. Only unary calls report back to the balancer:
 * a stream's failure can come long after the pick.
 */
export class GrpcChannels {
  readonly #targets: GrpcTarget[];
  readonly #balancer: TargetBalancer<GrpcTarget>;
  readonly #checker: HealthChecker<GrpcTarget> | undefined;

  constructor(name: string, options: GrpcServiceOptions, logger: Logger, tls: ClientTls | undefined) {
    const secure = grpcCredentials(tls);
    const channelOptions: ChannelOptions = {
      ...secure.channelOptions,
      "grpc.max_receive_message_length": options.maxReceiveMessageSize,
      "grpc.max_send_message_length": options.maxSendMessageSize,
      "grpc.keepalive_time_ms": options.keepaliveTime,
      "grpc.keepalive_timeout_ms": options.keepaliveTimeout,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.primary_user_agent": "rosetta",
    };
    this.#targets = options.targets.map(({ target }) => ({
      client: new Client(target, secure.credentials, channelOptions),
      unary: options.unaryTransport === "http2" ? new Http2UnaryChannel(target, options, tls) : undefined,
    }));
    this.#balancer = new TargetBalancer(
      name,
      this.#targets.map((target, index) => ({ target, weight: options.targets[index]!.weight, label: options.targets[index]!.target })),
      options,
    );
    this.#checker = options.healthCheck === undefined ? undefined : new HealthChecker(name, this.#balancer, options.healthCheck, grpcHealthProbe(options.healthCheck), logger);
  }

  /** A unary call on the configured transport, to the next healthy target; its outcome feeds the ejection. */
  async unary(options: CallOptions, request: Buffer, caller?: RequestEnvelope): Promise<UnaryResult> {
    const state = this.#balancer.pick(caller);
    const { client, unary } = state.target;
    let verdict: Verdict;
    const toError: StatusToError = (status) => {
      verdict = status.malformed === true ? undefined : targetFailed(status, unary === undefined ? client : undefined) ? "failed" : "answered";
      return options.toError(status);
    };
    this.#balancer.started(state);
    try {
      const result =
        unary === undefined ? await callUnary(client, { ...options, toError }, request) : await unary.call(options.path, request, options.metadata, options.deadline, options.cancellation, toError);
      this.#balancer.succeeded(state);
      return result;
    } catch (error) {
      if (verdict === "failed") this.#balancer.failed(state);
      else if (verdict === "answered") this.#balancer.succeeded(state);
      throw error;
    } finally {
      this.#balancer.finished(state);
    }
  }

  /** The next healthy target's grpc-js channel, for streaming calls. */
  next(caller?: RequestEnvelope): Client {
    return this.#balancer.pick(caller).target.client;
  }

  targets(): readonly TargetStatus[] {
    return this.#balancer.statuses();
  }

  close(): void {
    this.#checker?.stop();
    for (const { client, unary } of this.#targets) {
      client.close();
      unary?.close();
    }
  }
}

/**
 * A deadline passed, or the target could not be reached. An UNAVAILABLE the
 * upstream sent as its own status is an answer, not a failure: the HTTP/2
 * path marks the transport's own failures; for grpc-js, whose statuses do not
 * say where they came from, a channel that is not READY when the call fails
 * means the connection was the problem.
 */
function targetFailed(status: CallStatus, grpcJsClient: Client | undefined): boolean {
  if (status.code === StatusCode.DEADLINE_EXCEEDED) return true;
  if (status.code !== StatusCode.UNAVAILABLE) return false;
  if (grpcJsClient === undefined) return status.transport === true;
  return grpcJsClient.getChannel().getConnectivityState(false) !== connectivityState.READY;
}
