import type { Metadata } from "@grpc/grpc-js";
import { Cancellation } from "../../src/core/cancellation.js";
import { GatewayError } from "../../src/core/gateway-error.js";
import type { CallStatus, StreamResult, UnaryResult } from "../../src/endpoints/grpc/grpc-calls.js";
import { H2UnaryChannel } from "../../src/endpoints/grpc/h2/h2-unary-channel.js";
import { CallMetadata } from "../../src/endpoints/grpc/grpc-metadata.js";
import type { ClientTls } from "../../src/tls/client-tls.js";

/** A call's outcome as the tests check it: the result, or the status the client reported (and the error it made of it). */
export type Outcome = { ok: true; result: UnaryResult } | { ok: false; status: CallStatus | undefined; error: unknown };

export interface CallParameters {
  readonly metadata?: Metadata;
  readonly timeout?: number;
  readonly cancellation?: Cancellation;
}

export function h2Channel(target: string, options: Partial<{ maxReceiveMessageSize: number; keepaliveTime: number; keepaliveTimeout: number }> = {}, tls?: ClientTls): H2UnaryChannel {
  return new H2UnaryChannel(target, { maxReceiveMessageSize: 4 * 1024 * 1024, keepaliveTime: 30_000, keepaliveTimeout: 10_000, ...options }, tls);
}

/** One unary call on Rosetta's HTTP/2 client; never rejects. */
export async function h2Call(channel: H2UnaryChannel, path: string, request: Buffer, parameters: CallParameters = {}): Promise<Outcome> {
  let status: CallStatus | undefined;
  const toError = (reported: CallStatus) => {
    status = reported;
    return new GatewayError(reported.code, reported.details ?? "");
  };
  try {
    const result = await channel.call(path, request, callMetadata(parameters.metadata), new Date(Date.now() + (parameters.timeout ?? 5000)), parameters.cancellation ?? new Cancellation(), toError);
    return { ok: true, result };
  } catch (error) {
    return { ok: false, status, error };
  }
}

/** The status of a failed outcome, or a thrown description of the success (for assertions). */
export function failed(outcome: Outcome): CallStatus {
  if (outcome.ok) throw new Error(`the call succeeded with ${outcome.result.message.byteLength} bytes`);
  if (outcome.status === undefined) throw new Error(`the call failed without a status: ${String(outcome.error)}`);
  return outcome.status;
}

export function succeeded(outcome: Outcome): UnaryResult {
  if (!outcome.ok) throw new Error(`the call failed: ${outcome.status?.code} ${outcome.status?.details ?? String(outcome.error)}`);
  return outcome.result;
}

/** A server-streaming call on Rosetta's HTTP/2 client: the stream, or the status it failed with before the first message. */
export async function h2ServerStream(
  channel: H2UnaryChannel,
  path: string,
  request: Buffer,
  parameters: CallParameters = {},
): Promise<{ ok: true; result: StreamResult; statuses: CallStatus[] } | { ok: false; status: CallStatus | undefined; error: unknown }> {
  const statuses: CallStatus[] = [];
  const toError = (reported: CallStatus) => {
    statuses.push(reported);
    return new GatewayError(reported.code, reported.details ?? "");
  };
  try {
    const result = await channel.serverStream(
      path,
      request,
      callMetadata(parameters.metadata),
      new Date(Date.now() + (parameters.timeout ?? 5000)),
      parameters.cancellation ?? new Cancellation(),
      toError,
    );
    return { ok: true, result, statuses };
  } catch (error) {
    return { ok: false, status: statuses[0], error };
  }
}

/** The tests' grpc-js Metadata as the pairs a call carries. */
function callMetadata(metadata: Metadata | undefined): CallMetadata {
  const result = new CallMetadata();
  if (metadata !== undefined) for (const [key, values] of Object.entries(metadata.toJSON())) for (const value of values) result.add(key, value);
  return result;
}
