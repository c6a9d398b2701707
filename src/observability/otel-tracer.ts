import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base";
import { StatusCode } from "../core/status-code.js";
import type { RequestOutcome, RequestSpan } from "./request-observer.js";
import type { Tracer, TracingOptions } from "./tracing.js";

/**
 * The OpenTelemetry side of tracing, loaded by startTracer. Spans of one
 * request: the server span (started with the caller's context as parent),
 * and under it the upstream call (a client span, whose id goes upstream),
 * routing, the filter chain and each codec translation. The last three are
 * made when the request ends, from the times the outcome record kept, so the
 * hot path only records numbers. A tracer provider per gateway, never the
 * global one: an embedding program keeps its own.
 */
export function createOtelTracer(options: TracingOptions): Tracer {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName ?? "rosetta" }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sample) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlp }))],
  });
  const tracer = provider.getTracer("rosetta");

  class OtelRequestSpan implements RequestSpan {
    readonly server: Span;
    #client: Span | undefined;
    constructor(server: Span) {
      this.server = server;
    }

    startUpstream(outcome: RequestOutcome): string {
      const service = outcome.service ?? "";
      const protocol = outcome.upstreamProtocol ?? "";
      const attributes: Attributes = { "rosetta.service": service, "rosetta.upstream.protocol": protocol };
      if (protocol === "grpc") attributes["rpc.system"] = "grpc";
      const client = tracer.startSpan(`call ${service}`, { kind: SpanKind.CLIENT, startTime: outcome.upstreamStart, attributes }, trace.setSpan(ROOT_CONTEXT, this.server));
      this.#client = client;
      return client.spanContext().spanId;
    }

    endUpstream(outcome: RequestOutcome): void {
      const client = this.#client;
      if (client === undefined) return;
      if (outcome.target !== undefined) client.setAttribute("server.address", outcome.target);
      if (outcome.upstreamProtocol === "grpc") client.setAttribute("rpc.grpc.status_code", outcome.upstreamError?.code ?? StatusCode.OK);
      else if (outcome.upstreamStatus !== undefined) client.setAttribute("http.response.status_code", outcome.upstreamStatus);
      if (outcome.upstreamError !== undefined) client.setStatus({ code: SpanStatusCode.ERROR, message: outcome.upstreamError.message });
      client.end(outcome.upstreamStart + outcome.upstreamMs);
    }
  }

  const child = (parent: Span, name: string, start: number, end: number) => {
    tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: start }, trace.setSpan(ROOT_CONTEXT, parent)).end(end);
  };

  return {
    traced: true,
    started(request, record) {
      const parent =
        record.parentSpanId === undefined
          ? ROOT_CONTEXT
          : trace.setSpanContext(ROOT_CONTEXT, {
              traceId: record.traceId,
              spanId: record.parentSpanId,
              traceFlags: record.sampled ? 1 : 0,
              isRemote: true,
              traceState: record.tracestate === undefined ? undefined : createTraceState(record.tracestate),
            });
      const server = tracer.startSpan(
        `${request.method} ${request.peer.listener}`,
        {
          kind: SpanKind.SERVER,
          startTime: record.startedAt,
          attributes: {
            "rosetta.listener": request.peer.listener,
            "rosetta.protocol": request.peer.protocol,
            "rosetta.request_id": request.requestId,
            "http.request.method": request.method,
            "url.path": request.path,
            "client.address": request.peer.address,
          },
        },
        parent,
      );
      const spanContext = server.spanContext();
      record.spanId = spanContext.spanId;
      record.sampled = (spanContext.traceFlags & 1) === 1;
      // A new trace gets the SDK's trace id; the record takes it over.
      record.traceId = spanContext.traceId;
      record.span = new OtelRequestSpan(server);
    },
    finished(request, response, record) {
      const span = record.span;
      if (!(span instanceof OtelRequestSpan)) return;
      const server = span.server;
      const end = record.finishedAt;
      if (server.isRecording()) {
        const route = record.route;
        if (route !== undefined) {
          server.setAttribute("http.route", route);
          server.updateName(`${request.method} ${route}`);
        }
        server.setAttribute("http.response.status_code", response.status);
        if (response.error !== undefined) {
          server.setAttribute("rpc.grpc.status_code", response.error.code);
          if (response.status >= 500) server.setStatus({ code: SpanStatusCode.ERROR, message: response.error.message });
        }
        if (record.routeStart !== 0) child(server, "routing", record.routeStart, record.routeStart + record.routeMatchMs);
        child(server, "filters", record.startedAt, record.upstreamStart === 0 ? end : record.upstreamStart);
        const translations = record.translations;
        for (let index = 0; index + 1 < translations.length; index += 2) child(server, "translate", translations[index]!, translations[index + 1]!);
      }
      server.end(end);
    },
    async close() {
      await provider.shutdown();
    },
  };
}
