import { ConfigErrorCode } from "../options/error-codes.js";
import { object, optional, refine, required, string, withDefault, type Infer } from "../options/schema.js";
import { ratio } from "./ratio.js";
import type { RequestObserver } from "./request-observer.js";

const otlpUrl = refine(string(), (value, context) => {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // reported below
  }
  return context.report(ConfigErrorCode.VALUE, `"${value}" is not an http(s) URL (the OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces)`);
});

export const tracingSchema = object(
  {
    otlp: required(otlpUrl, "the OTLP/HTTP traces endpoint spans are exported to (JSON), e.g. http://127.0.0.1:4318/v1/traces"),
    sample: withDefault(ratio, 1, "share of new traces recorded (0..1); a caller's sampled flag is followed (parent-based)"),
    serviceName: optional(string(), "service.name of the exported spans; default rosetta"),
  },
  "tracing options",
);

export type TracingOptions = Infer<typeof tracingSchema>;

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
