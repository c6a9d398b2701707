import { accessLogFields, type AccessLogOptions } from "../observability/access-log.js";
import type { TracingOptions } from "../observability/tracing.js";
import { ConfigErrorCode } from "../options/error-codes.js";
import { list, object, oneOf, optional, refine, required, string, withDefault, type Schema } from "../options/schema.js";

/** A sampling ratio: a number from 0 (none) to 1 (all). */
const ratio: Schema<number> = {
  typeName: "ratio 0..1",
  parse(input, context) {
    if (typeof input !== "number" || !Number.isFinite(input)) return context.report(ConfigErrorCode.TYPE, `expected a ratio from 0 to 1, got ${JSON.stringify(input)}`);
    if (input < 0 || input > 1) return context.report(ConfigErrorCode.VALUE, `${input} is not a ratio from 0 to 1`);
    return input;
  },
};

export const accessLogSchema: Schema<AccessLogOptions> = object(
  {
    to: withDefault(string(), "stdout", "where lines go: stdout, stderr, or a file path (relative to the config file; appended to, reopened on SIGUSR2)"),
    sample: withDefault(ratio, 1, "share of successful requests logged (0..1); errors (status ≥ 400) are always logged"),
    fields: optional(list(oneOf(accessLogFields), { minItems: 1 }), "only these fields (time and msg are always written); default: every field"),
  },
  "access log options",
);

const otlpUrl = refine(string(), (value, context) => {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // reported below
  }
  return context.report(ConfigErrorCode.VALUE, `"${value}" is not an http(s) URL (the OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces)`);
});

export const tracingSchema: Schema<TracingOptions> = object(
  {
    otlp: required(otlpUrl, "the OTLP/HTTP traces endpoint spans are exported to (JSON), e.g. http://127.0.0.1:4318/v1/traces"),
    sample: withDefault(ratio, 1, "share of new traces recorded (0..1); a caller's sampled flag is followed (parent-based)"),
    serviceName: optional(string(), "service.name of the exported spans; default rosetta"),
  },
  "tracing options",
);
