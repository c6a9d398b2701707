import type { Client } from "@grpc/grpc-js";
import { CallMetadata } from "./grpc-metadata.js";
import type protobuf from "protobufjs";
import { Cancellation } from "../../core/cancellation.js";
import { GatewayError } from "../../core/gateway-error.js";
import { ProtoRegistry } from "../../protos/proto-registry.js";
import type { GrpcHealthCheckOptions } from "../balancing-options.js";
import type { HealthProbe } from "../health-checker.js";
import { callUnary, type StatusToError } from "./grpc-calls.js";
import type { Http2UnaryChannel } from "./http2-unary-channel.js";

const checkPath = "/grpc.health.v1.Health/Check";
const SERVING = 1;

let healthTypes: Promise<{ request: protobuf.Type; response: protobuf.Type }> | undefined;

/** The bundled grpc/health/v1/health.proto, loaded once per process. */
function loadHealthTypes(): Promise<{ request: protobuf.Type; response: protobuf.Type }> {
  healthTypes ??= ProtoRegistry.load([], ["grpc/health/v1/health.proto"]).then((registry) => ({
    request: registry.root.lookupType("grpc.health.v1.HealthCheckRequest"),
    response: registry.root.lookupType("grpc.health.v1.HealthCheckResponse"),
  }));
  return healthTypes;
}

const toError: StatusToError = (status) => new GatewayError(status.code, `grpc.health.v1.Health/Check failed: ${status.details ?? `code ${status.code}`}`);

/**
 * grpc.health.v1.Health/Check over the target's own connection (the lean
 * HTTP/2 session, or the grpc-js channel): healthy when it answers SERVING
 * for `service`.
 */
export function grpcHealthProbe(options: GrpcHealthCheckOptions): HealthProbe<{ readonly client: Client; readonly unary: Pick<Http2UnaryChannel, "call"> | undefined }> {
  return async ({ client, unary }, signal) => {
    const types = await loadHealthTypes();
    const request = Buffer.from(types.request.encode(types.request.create({ service: options.service })).finish());
    const cancellation = new Cancellation();
    signal.addEventListener("abort", () => cancellation.cancel(signal.reason as Error), { once: true });
    const deadline = new Date(Date.now() + options.timeout);
    const metadata = new CallMetadata();
    const result =
      unary === undefined
        ? await callUnary(client, { path: checkPath, metadata, deadline, cancellation, toError }, request)
        : await unary.call(checkPath, request, metadata, deadline, cancellation, toError);
    const status = (types.response.decode(result.message) as unknown as { status?: number }).status ?? 0;
    if (status !== SERVING) throw new Error(`grpc.health.v1.Health/Check answered ${types.response.lookupEnum("ServingStatus").valuesById[status] ?? status}`);
  };
}
