import { ConfigErrorCode } from "../options/error-codes.js";
import { duration, integer, object, oneOf, refine, required, string, withDefault, INVALID, type Infer, type Parsed, type ParseContext, type Schema } from "../options/schema.js";

/** A target with its share of the traffic. */
export interface Weighted<T> {
  readonly target: T;
  readonly weight: number;
}

export const maxWeight = 1000;

const weightSchema = integer({ min: 1, max: maxWeight });

/**
 * A `targets` entry: the protocol's own target syntax as a string (weight 1),
 * or `{ url: <that syntax>, weight }`.
 */
export function weightedTarget<T>(inner: Schema<T>): Schema<Weighted<T>> {
  const entry = object({ url: required(inner, "the target, as a plain entry would give it"), weight: withDefault(weightSchema, 1, "relative share of the traffic") }, "weighted target");
  return {
    typeName: `${inner.typeName} or { url, weight }`,
    parse(input, context): Parsed<Weighted<T>> {
      if (typeof input === "object" && input !== null && !Array.isArray(input)) {
        const parsed = entry.parse(input, context);
        return parsed === INVALID ? INVALID : Object.freeze({ target: parsed.url as T, weight: parsed.weight });
      }
      const parsed = inner.parse(input, context);
      return parsed === INVALID ? INVALID : Object.freeze({ target: parsed, weight: 1 });
    },
  };
}

/** What a consistent hash is taken of. */
export type HashKey = { readonly kind: "ip" } | { readonly kind: "header"; readonly name: string };

export type LoadBalancer = { readonly kind: "round-robin" | "least-request" | "random" } | { readonly kind: "consistent-hash"; readonly key: HashKey };

const plainBalancers = ["round-robin", "least-request", "random"] as const;

const hashKeySchema = refine(string(), (value, context): Parsed<HashKey> => {
  if (value === "ip") return Object.freeze({ kind: "ip" });
  const match = /^header:([A-Za-z0-9!#$%&'*+.^_`|~-]+)$/.exec(value);
  if (match === null) return context.report(ConfigErrorCode.VALUE, `"${value}" is not a hash key: use ip or header:NAME (e.g. header:x-user-id)`);
  return Object.freeze({ kind: "header", name: match[1]!.toLowerCase() });
});

const consistentHash = object({ "consistent-hash": required(object({ key: required(hashKeySchema, "ip or header:NAME") }, "consistent hash"), "the hash key") }, "{ consistent-hash: { key } }");

export const loadBalancerSchema: Schema<LoadBalancer> = {
  typeName: "round-robin | least-request | random | { consistent-hash: { key } }",
  parse(input: unknown, context: ParseContext): Parsed<LoadBalancer> {
    if (typeof input === "string") {
      if ((plainBalancers as readonly string[]).includes(input)) return Object.freeze({ kind: input as (typeof plainBalancers)[number] });
      return context.report(ConfigErrorCode.VALUE, `unknown load balancer "${input}" (round-robin, least-request, random or { consistent-hash: { key: … } })`);
    }
    const parsed = consistentHash.parse(input, context);
    return parsed === INVALID ? INVALID : Object.freeze({ kind: "consistent-hash", key: parsed["consistent-hash"].key });
  },
};

export const defaultLoadBalancer: LoadBalancer = Object.freeze({ kind: "round-robin" });

/** A status range such as 200-399, or one status. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

const statusRange: Schema<StatusRange> = {
  typeName: "status or range (200-399)",
  parse(input, context) {
    const text = typeof input === "number" ? String(input) : input;
    const match = typeof text === "string" ? /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d)\s*)?$/.exec(text) : null;
    const min = Number(match?.[1]);
    const max = Number(match?.[2] ?? match?.[1]);
    if (match === null || max < min) return context.report(ConfigErrorCode.VALUE, `expected an HTTP status or a range such as 200-399, got ${JSON.stringify(input)}`);
    return Object.freeze({ min, max });
  },
};

const commonHealthFields = {
  interval: withDefault(duration({ min: 1 }), 5_000, "time between checks of one target (jittered by ±10 %)"),
  timeout: withDefault(duration({ min: 1 }), 1_000, "how long one check may take; longer counts as a failure"),
  healthyThreshold: withDefault(integer({ min: 1, max: 100 }), 2, "successes in a row that bring an unhealthy target back"),
  unhealthyThreshold: withDefault(integer({ min: 1, max: 100 }), 3, "failures in a row that take a target out of rotation"),
  whenAllUnhealthy: withDefault(oneOf(["all", "none"]), "all", "all: fail open to every target (Envoy's panic mode); none: answer 503 UNAVAILABLE"),
};

export const httpHealthCheckSchema = object(
  {
    ...commonHealthFields,
    path: withDefault(string({ pattern: /^\/[^\s?#]*(\?[^\s#]*)?$/, patternHint: "a path such as /healthz" }), "/healthz", "path of the GET check"),
    expectStatus: withDefault(statusRange, { min: 200, max: 399 }, "statuses that count as healthy: one status or a range"),
  },
  "http health check",
);

export const grpcHealthCheckSchema = object(
  { ...commonHealthFields, service: withDefault(string(), "", "service name asked of grpc.health.v1.Health/Check (empty: the server as a whole)") },
  "grpc health check",
);

export const tcpHealthCheckSchema = object({ ...commonHealthFields }, "tcp health check");

/** What every protocol's health check has; the protocol probes add their own keys. */
export type HealthCheckOptions = Infer<typeof tcpHealthCheckSchema>;
export type HttpHealthCheckOptions = Infer<typeof httpHealthCheckSchema>;
export type GrpcHealthCheckOptions = Infer<typeof grpcHealthCheckSchema>;

/** `loadBalancer`, the same on every service kind. */
export const loadBalancerField = withDefault(loadBalancerSchema, defaultLoadBalancer, "round-robin (smooth weighted), least-request, random, or { consistent-hash: { key: header:NAME | ip } }");
