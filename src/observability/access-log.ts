import { pino, destination, type Logger as PinoLogger } from "pino";
import type { Body } from "../core/body.js";
import type { RequestEnvelope, ResponseEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
import { callRecordKey } from "./call-record.js";
import { FileSink } from "./file-sink.js";
import type { RequestObserver, RequestTimings } from "./request-observer.js";
import { routeIdKey } from "./request-observer.js";

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
    started() {},
    finished(request: RequestEnvelope, response: ResponseEnvelope, timings: RequestTimings) {
      const failed = response.status >= 400;
      if (!failed && sample < 1 && random() >= sample) return;
      const record = request.context.get(callRecordKey);
      const upstream = record?.upstream;
      const line: Record<string, unknown> = {
        requestId: request.requestId,
        traceId: record?.traceId,
        spanId: record?.spanId,
        parentSpanId: record?.parentSpanId,
        upstreamSpanId: upstream !== undefined && upstream.spanId !== record?.spanId ? upstream.spanId : undefined,
        listener: request.peer.listener,
        protocol: request.peer.protocol,
        route: request.context.get(routeIdKey),
        method: request.method,
        path: request.path,
        status: response.status,
        grpcCode: upstream?.protocol === "grpc" ? StatusCode[upstream.error?.code ?? StatusCode.OK] : undefined,
        error: response.error === undefined ? undefined : response.error.message,
        service: upstream?.service,
        target: upstream?.target,
        durationMs: round(timings.durationMs),
        upstreamMs: upstream === undefined || upstream.end === 0 ? undefined : round(Math.max(0, upstream.end - upstream.start - (record?.translationMs ?? 0))),
        translationMs: record === undefined ? undefined : round(record.translationMs),
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
