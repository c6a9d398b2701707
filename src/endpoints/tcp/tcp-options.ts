import { ConfigErrorCode } from "../../options/error-codes.js";
import { ndjsonFormatProblem } from "../../frames/stream-framing.js";
import { byteSize, duration, integer, list, object, oneOf, optional, refine, registered, required, string, withDefault, type Infer } from "../../options/schema.js";
import { ejectionSchema } from "../target-balancer.js";
import { circuitBreakerField } from "../circuit-breaker.js";
import { retrySchema } from "../retry-policy.js";
import { tcpHealthCheckSchema, loadBalancerField, weightedTarget } from "../balancing-options.js";
import { upstreamTemplate } from "../upstream-path.js";
import { upstreamTlsSchema } from "../../tls/tls-options.js";

const hostPort = refine(string(), (value, context) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65_535) return context.report(ConfigErrorCode.VALUE, `"${value}" is not host:port, such as "127.0.0.1:7300"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port, label: value };
});

export interface TcpTarget {
  readonly host: string;
  readonly port: number;
  readonly label: string;
}

export const tcpServiceSchema = refine(
  object(
    {
      protocol: required(oneOf(["tcp"]), "tcp"),
      targets: required(list(weightedTarget(hostPort), { minItems: 1 }), 'host:port of each upstream, such as "127.0.0.1:7300", or { url, weight }'),
      loadBalancer: loadBalancerField,
      healthCheck: optional(tcpHealthCheckSchema, "active health checks: a TCP connect to each target"),
      framing: withDefault(
        oneOf(["ndjson", "length-prefixed", "line"]),
        "ndjson",
        "ndjson (JSON frames, one per line), length-prefixed (4-byte big-endian length, any codec) or line (plain text: one line out, one line back)",
      ),
      codec: withDefault(registered("frame format"), "json", "the frame format the upstream speaks (ndjson needs json; line ignores it)"),
      correlation: withDefault(
        oneOf(["id", "order"]),
        "id",
        "id: the upstream echoes each frame's id, so a connection carries many calls; order: one call at a time per connection (line framing always)",
      ),
      connections: withDefault(integer({ min: 1, max: 10_000 }), 8, "persistent connections per target"),
      timeout: withDefault(duration({ min: 1 }), 15_000, "time for the reply frame; → 504"),
      connectTimeout: withDefault(duration({ min: 1 }), 5_000, "time to open a connection; → 503"),
      reconnectDelay: withDefault(duration({ min: 1 }), 100, "wait before reconnecting after a failed connect; doubles on each failure in a row"),
      maxReconnectDelay: withDefault(duration({ min: 1 }), 10_000, "the longest reconnect wait"),
      tls: optional(upstreamTlsSchema, "connect over TLS: CA, client certificate (mTLS), server name; `tls: {}` uses the system CAs"),
      maxPending: withDefault(integer({ min: 0 }), 1_000, "calls waiting for a free connection (order correlation); more → 503"),
      maxFrameBytes: withDefault(byteSize({ min: 64 }), 4 * 1024 * 1024, "largest reply frame read; larger closes that connection and fails its calls"),
      ejection: withDefault(ejectionSchema, { consecutiveFailures: 3, baseTime: 10_000, maxTime: 300_000 }, "passive health checking"),
      circuitBreaker: circuitBreakerField,
    },
    "tcp service",
  ),
  (options, context) => {
    const problem = ndjsonFormatProblem(options.framing, options.codec);
    if (problem !== undefined) return context.at("codec").report(ConfigErrorCode.VALUE, problem);
    return options;
  },
);

export type TcpServiceOptions = Infer<typeof tcpServiceSchema>;

export const tcpUpstreamSchema = object(
  {
    path: optional(upstreamTemplate, "the path put in the frame, a template such as /stock/{sku} filled like an HTTP upstream's (default: the request path)"),
    method: optional(string({ pattern: /^[A-Z]+$/, patternHint: "an upper-case method" }), "the method put in the frame (default: the caller's)"),
    timeout: optional(duration({ min: 1 }), "overrides the service's timeout for this route"),
    retry: optional(retrySchema, "retry failed calls (by the frame's method: idempotent ones unless `methods` says otherwise); the timeout then bounds all tries together"),
  },
  "tcp upstream",
);

export type TcpUpstreamOptions = Infer<typeof tcpUpstreamSchema>;
