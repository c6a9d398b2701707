import { pino, destination, type Logger as PinoLogger } from "pino";
import type { Body } from "../core/body.js";
import type { RequestEnvelope, ResponseEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
import { FileSink } from "./file-sink.js";
import type { RequestObserver, RequestOutcome } from "./request-observer.js";

/** Every field an access-log line can carry, in the order written. */
export const accessLogFields = [
  "requestId",
  "traceId",
  "spanId",
  "parentSpanId",
  "upstreamSpanId",
  "listener",
  "protocol",
  "route",
  "method",
  "path",
  "status",
  "grpcCode",
  "error",
  "service",
  "target",
  "durationMs",
  "upstreamMs",
  "translationMs",
  "bytesIn",
  "bytesOut",
  "client",
  "consumer",
] as const;

export type AccessLogField = (typeof accessLogFields)[number];

/** `accessLog` as validated (schema: src/gateway/observability-options.ts). */
export interface AccessLogOptions {
  /** stdout, stderr, or a file path. */
  readonly to: string;
  /** Share of successful requests logged, 0..1. */
  readonly sample: number;
  readonly fields?: readonly AccessLogField[] | undefined;
}

/** Where the line's consumer comes from (an authentication filter's context key), given by the gateway. */
export type ConsumerOf = (request: RequestEnvelope) => string | undefined;

export interface AccessLog extends RequestObserver {
  /** Reopens the file (after logrotate moved it); nothing for stdout/stderr. */
  reopen(): void;
  /** Writes what is buffered and closes the file. */
  close(): void;
}

const flushEveryMs = 250;

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function bodyBytes(body: Body, length: string | string[] | undefined): number | undefined {
  if (body.kind === "bytes") return body.bytes.byteLength;
  if (body.kind === "empty") return 0;
  const declared = typeof length === "string" ? Number(length) : Number.NaN;
  return Number.isInteger(declared) ? declared : undefined;
}

/**
 * One JSON line (pino) per request or frame call. Successes are sampled,
 * errors always written. A file path is taken as it is (the config resolved
 * it); `random` is for tests.
 */
export function createAccessLog(options: AccessLogOptions, consumerOf: ConsumerOf, onError: (error: Error) => void, random: () => number = Math.random): AccessLog {
  // A file gets FileSink (batched writes); stdout and stderr, which may be pipes, SonicBoom. Lines wait
  // at most 250 ms, so a quiet gateway's lines are not held back.
  const file = options.to === "stdout" || options.to === "stderr" ? undefined : new FileSink(options.to, onError);
  const stream = file ?? destination({ fd: options.to === "stdout" ? 1 : 2, sync: false, minLength: 4096 });
  let unflushed = false;
  const flusher = setInterval(() => {
    if (!unflushed) return;
    unflushed = false;
    stream.flush();
  }, flushEveryMs);
  flusher.unref();
  const log: PinoLogger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  const { sample } = options;
  const only = options.fields === undefined ? undefined : new Set<string>(options.fields);
  return {
    traced: true,
    started() {},
    finished(request: RequestEnvelope, response: ResponseEnvelope, outcome: RequestOutcome) {
      const failed = response.status >= 400;
      if (!failed && sample < 1 && random() >= sample) return;
      const called = outcome.upstreamStart !== 0;
      const line: Record<string, unknown> = {
        requestId: request.requestId,
        traceId: outcome.traceId,
        spanId: outcome.spanId,
        parentSpanId: outcome.parentSpanId,
        upstreamSpanId: called && outcome.upstreamSpanId !== outcome.spanId ? outcome.upstreamSpanId : undefined,
        listener: request.peer.listener,
        protocol: request.peer.protocol,
        route: outcome.route,
        method: request.method,
        path: request.path,
        status: response.status,
        grpcCode: outcome.upstreamProtocol === "grpc" ? StatusCode[outcome.upstreamError?.code ?? StatusCode.OK] : undefined,
        error: response.error === undefined ? undefined : response.error.message,
        service: outcome.service,
        target: outcome.target,
        durationMs: round(outcome.finishedAt - outcome.startedAt),
        upstreamMs: outcome.upstreamMs < 0 ? undefined : round(Math.max(0, outcome.upstreamMs - outcome.translationMs)),
        translationMs: round(outcome.translationMs),
        bytesIn: bodyBytes(request.body, request.headers["content-length"]),
        bytesOut: bodyBytes(response.body, response.headers["content-length"]),
        client: request.peer.address,
        consumer: consumerOf(request),
      };
      if (only !== undefined) for (const key in line) if (!only.has(key)) delete line[key];
      if (failed) log.warn(line, "request");
      else log.info(line, "request");
      unflushed = true;
    },
    reopen() {
      file?.reopen();
    },
    close() {
      clearInterval(flusher);
      if (file !== undefined) return file.close();
      try {
        (stream as ReturnType<typeof destination>).flushSync();
      } catch {
        // Not open yet: nothing was written.
      }
    },
  };
}
