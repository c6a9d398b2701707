import type { RequestObserver } from "./request-observer.js";

/** `tracing` as validated (schema: src/gateway/observability-options.ts). */
export interface TracingOptions {
  /** The OTLP/HTTP traces endpoint. */
  readonly otlp: string;
  /** Share of new traces recorded, 0..1. */
  readonly sample: number;
  readonly serviceName?: string | undefined;
}

/** The tracer as the gateway holds it: an observer of requests, and a flush on stop. */
export interface Tracer extends RequestObserver {
  /** Exports what is buffered and stops the exporter. */
  close(): Promise<void>;
}

/**
 * Loads the OpenTelemetry SDK only now: a gateway without `tracing` never
 * imports it, so tracing costs nothing when it is off.
 */
export async function startTracer(options: TracingOptions): Promise<Tracer> {
  const { createOtelTracer } = await import("./otel-tracer.js");
  return createOtelTracer(options);
}
