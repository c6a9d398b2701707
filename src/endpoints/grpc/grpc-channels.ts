import { Client, connectivityState, type ChannelOptions } from "@grpc/grpc-js";
import type { ClientTls } from "../../tls/client-tls.js";
import { grpcCredentials } from "./grpc-credentials.js";
import { StatusCode } from "../../core/status-code.js";
import { GatewayError } from "../../core/gateway-error.js";
import type { RequestEnvelope } from "../../core/envelope.js";
import type { Logger } from "../../observability/logger.js";
import { HealthChecker } from "../health-checker.js";
import { TargetBalancer, type TargetState, type TargetStatus } from "../target-balancer.js";
import { REFUSED, type CallOutcome } from "../circuit-breaker.js";
import { ServiceCircuits, type CircuitSnapshot, type PickedTarget } from "../service-circuits.js";
import { verdictOfCode, type RetryPolicy, type RetryableCall } from "../retry-policy.js";
import { grpcHealthProbe } from "./grpc-health-probe.js";
import { callServerStream, callUnary, type CallOptions, type CallStatus, type StatusToError, type StreamResult, type UnaryResult } from "./grpc-calls.js";
import type { GrpcServiceOptions } from "./grpc-options.js";
import { Http2UnaryChannel } from "./http2-unary-channel.js";
import { H2UnaryChannel } from "./h2/h2-unary-channel.js";

/** One target's connections: a grpc-js channel, and the lean HTTP/2 one for unary calls when it is the transport. */
interface GrpcTarget {
  readonly label: string;
  readonly client: Client;
  readonly unary: (Pick<Http2UnaryChannel, "call" | "close"> & Partial<Pick<H2UnaryChannel, "serverStream">>) | undefined;
}

/** What a failed unary call says about its target; undefined says nothing (cancelled by the caller, or a malformed reply). */
type Verdict = "failed" | "answered" | undefined;

/** What one try left behind, for the retry loop: its target (a retry goes elsewhere) and the status it failed with. */
interface TryRecord {
  last: TargetState<GrpcTarget> | undefined;
  status: CallStatus | undefined;
  verdict: Verdict;
}

/**
 * The connections to a service's targets, balanced round-robin with outlier
 * ejection like the HTTP and TCP endpoints: a grpc-js channel per target for
 * streaming calls (and unary ones when `unaryTransport: grpc-js`), and, by
 * default, a connection of Rosetta's own HTTP/2 client (h2/) per target for
 * unary and server-streaming calls (`node-http2`: the earlier node:http2
 * session, unary only). All multiplex
 * calls over one HTTP/2 connection, reconnect with backoff and keep the
 * connection alive with pings. Only unary calls report back to the balancer:
 * a stream's failure can come long after the pick.
 */
export class GrpcChannels {
  readonly #targets: GrpcTarget[];
  readonly #balancer: TargetBalancer<GrpcTarget>;
  readonly #circuits: ServiceCircuits<GrpcTarget> | undefined;
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
      label: target,
      client: new Client(target, secure.credentials, channelOptions),
      unary: options.unaryTransport === "http2" ? new H2UnaryChannel(target, options, tls) : options.unaryTransport === "node-http2" ? new Http2UnaryChannel(target, options, tls) : undefined,
    }));
    this.#balancer = new TargetBalancer(
      name,
      this.#targets.map((target, index) => ({ target, weight: options.targets[index]!.weight, label: target.label })),
      options,
    );
    this.#circuits = options.circuitBreaker === undefined ? undefined : new ServiceCircuits(name, options.circuitBreaker, this.#targets, (target) => target.label);
    this.#checker = options.healthCheck === undefined ? undefined : new HealthChecker(name, this.#balancer, options.healthCheck, grpcHealthProbe(options.healthCheck), logger);
  }

  /**
   * A unary call on the configured transport, to the next healthy target
   * (`caller` feeds a consistent hash); its outcome feeds the ejection and the
   * circuits. With circuits it first passes the service's circuit (a fast 503
   * when open); with a retry policy a failed try is retried on another target
   * when there is one.
   */
  unary(options: CallOptions, request: Buffer, caller?: RequestEnvelope, retry?: RetryPolicy): Promise<UnaryResult> {
    if (this.#circuits === undefined && retry === undefined) return this.#unaryOnce(options, request, caller, undefined);
    return this.#guarded(options.cancellation.cancelled, (record) => {
      if (retry === undefined) return this.#unaryOnce(options, request, caller, record);
      return retry.run(options.cancellation, options.deadline.getTime(), this.#retryable(options, request, caller, record));
    });
  }

  /** Opens a streaming call on the next healthy target's grpc-js channel, through the circuits when set (streams are never retried). */
  stream<R>(caller: RequestEnvelope | undefined, open: (client: Client) => Promise<R>): Promise<R> {
    return this.#openStream(caller, (target) => open(target.client));
  }

  /** A server-streaming call (one request message): on Rosetta's HTTP/2 client when it is the unary transport, else on grpc-js. */
  serverStream(caller: RequestEnvelope | undefined, options: CallOptions, request: Buffer): Promise<StreamResult> {
    return this.#openStream(caller, ({ client, unary }) =>
      unary?.serverStream === undefined
        ? callServerStream(client, options, request)
        : unary.serverStream(options.path, request, options.metadata, options.deadline, options.cancellation, options.toError),
    );
  }

  #openStream<R>(caller: RequestEnvelope | undefined, open: (target: GrpcTarget) => Promise<R>): Promise<R> {
    if (this.#circuits === undefined) {
      let target: GrpcTarget;
      try {
        target = this.#balancer.pick(caller).target;
      } catch (error) {
        return Promise.reject(error);
      }
      return open(target);
    }
    return this.#guarded(false, async (record) => {
      const picked = this.#pick(caller, undefined);
      record.last = picked.state;
      const client = picked.state.target.client;
      try {
        const result = await open(picked.state.target);
        this.#circuits?.tried(picked, "success");
        return result;
      } catch (error) {
        const failed = error instanceof GatewayError && targetFailed({ code: error.code }, client);
        record.verdict = failed ? "failed" : undefined;
        this.#circuits?.tried(picked, failed ? "failure" : "neutral");
        throw error;
      }
    });
  }

  /** The service's circuit around one call (and its retries). */
  async #guarded<R>(cancelled: boolean, run: (record: TryRecord) => Promise<R>): Promise<R> {
    const circuits = this.#circuits;
    const ticket = circuits === undefined || cancelled ? REFUSED : circuits.enter();
    if (ticket instanceof GatewayError) throw ticket;
    const record: TryRecord = { last: undefined, status: undefined, verdict: undefined };
    let outcome: CallOutcome = "neutral";
    try {
      const result = await run(record);
      outcome = "success";
      return result;
    } catch (error) {
      // No try made (no healthy target, every target's circuit open) says the service is failing too.
      const untried = record.last === undefined && error instanceof GatewayError && error.code === StatusCode.UNAVAILABLE;
      outcome = record.verdict === "failed" || untried ? "failure" : record.verdict === "answered" ? "success" : "neutral";
      throw error;
    } finally {
      if (ticket !== REFUSED) circuits!.leave(ticket, outcome);
    }
  }

  #retryable(options: CallOptions, request: Buffer, caller: RequestEnvelope | undefined, record: TryRecord): RetryableCall<UnaryResult> {
    return {
      attempt: (retry) => this.#unaryOnce(options, request, caller, record, retry === 0 ? undefined : record.last),
      answered: () => undefined,
      failed: () => {
        const status = record.status;
        if (status === undefined || status.malformed === true || options.cancellation.cancelled) return undefined;
        const transport = record.verdict === "failed" && status.code === StatusCode.UNAVAILABLE;
        const connect = transport && /^(No connection established|cannot start a call)/.test(status.details ?? "");
        return verdictOfCode(status.code, connect || (transport && status.transport !== true), transport && !connect && status.transport === true);
      },
      discard: () => {},
      replayable: () => true,
    };
  }

  /** The balancer's pick, passed over targets whose circuit is open; throws a 503 when none may be tried. */
  #pick(caller: RequestEnvelope | undefined, previous: TargetState<GrpcTarget> | undefined): PickedTarget<GrpcTarget> {
    if (this.#circuits === undefined) return { state: this.#balancer.pick(caller, previous), ticket: REFUSED };
    return this.#circuits.pick(this.#balancer, caller, previous);
  }

  async #unaryOnce(options: CallOptions, request: Buffer, caller: RequestEnvelope | undefined, record: TryRecord | undefined, previous?: TargetState<GrpcTarget>): Promise<UnaryResult> {
    const picked = this.#pick(caller, previous);
    const state = picked.state;
    const { client, unary } = state.target;
    let verdict: Verdict;
    let failure: CallStatus | undefined;
    const toError: StatusToError = (status) => {
      failure = status;
      verdict = status.malformed === true ? undefined : targetFailed(status, unary === undefined ? client : undefined) ? "failed" : "answered";
      return options.toError(status);
    };
    if (record !== undefined) {
      record.last = state;
      record.status = undefined;
      record.verdict = undefined;
    }
    this.#balancer.started(state);
    try {
      const result =
        unary === undefined ? await callUnary(client, { ...options, toError }, request) : await unary.call(options.path, request, options.metadata, options.deadline, options.cancellation, toError);
      this.#balancer.succeeded(state);
      this.#circuits?.tried(picked, "success");
      return result;
    } catch (error) {
      if (verdict === "failed") this.#balancer.failed(state);
      else if (verdict === "answered") this.#balancer.succeeded(state);
      this.#circuits?.tried(picked, verdict === "failed" ? "failure" : verdict === "answered" ? "success" : "neutral");
      if (record !== undefined) {
        record.status = failure;
        record.verdict = verdict;
      }
      throw error;
    } finally {
      this.#balancer.finished(state);
    }
  }

  circuits(): CircuitSnapshot | undefined {
    return this.#circuits?.snapshot();
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
