import { headerText, type RequestEnvelope, type ResponseEnvelope } from "../core/envelope.js";
import { errorResponse } from "../core/error-response.js";
import { GatewayError } from "../core/gateway-error.js";
import type { Handler } from "../core/handler.js";
import { StatusCode } from "../core/status-code.js";
import { markRateLimited } from "../observability/request-observer.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { duration, integer, object, oneOf, optional, required, string, withDefault, type Infer } from "../options/schema.js";
import { consumerKey } from "./consumer.js";
import type { FilterContext, FilterFactory } from "./filter-factory.js";
import { RedisBuckets } from "./redis-buckets.js";
import { MemoryBuckets, type BucketDecision, type BucketShape } from "./token-bucket.js";

const rateLimitSchema = object(
  {
    rate: required(integer({ min: 1 }), "tokens added to a bucket per `per`"),
    per: withDefault(duration({ min: 1 }), 1000, "the period of `rate`: 1s, 1m, 1h or any duration"),
    burst: optional(integer({ min: 1 }), "tokens a bucket holds: requests one key may make at once after being idle (default: rate)"),
    key: withDefault(
      string({ pattern: /^(ip|route|consumer|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/, patternHint: "ip, route, consumer or header:NAME" }),
      "ip",
      "what shares a bucket: ip (the client address), route (everyone on the route), consumer (the authenticated consumer, else the ip), header:NAME (its value, else the ip)",
    ),
    store: withDefault(oneOf(["memory", "redis"]), "memory", "memory: buckets in this process; redis: shared by every instance through the top-level `redis`"),
    maxKeys: withDefault(integer({ min: 1 }), 100_000, "store memory: buckets kept at most; the least recently used goes first"),
    timeout: withDefault(duration({ min: 1 }), 50, "store redis: longest wait for a decision; then `failMode` applies"),
    failMode: withDefault(oneOf(["open", "closed"]), "open", "store redis, when Redis is slow or down: open lets the request through, closed answers 503 UNAVAILABLE"),
  },
  "rate-limit options",
);

export type RateLimitOptions = Infer<typeof rateLimitSchema>;

const storeUnavailable = new GatewayError(StatusCode.UNAVAILABLE, "the rate-limit store is unavailable");

/** The bucket a request draws from, as a string; kinds are prefixed so that an ip never collides with a consumer name. */
function keyFunction(key: string, context: FilterContext): (request: RequestEnvelope) => string {
  if (key === "ip") return (request) => `ip:${request.peer.address}`;
  if (key === "consumer")
    return (request) => {
      const consumer = request.context.get(consumerKey);
      return consumer === undefined ? `ip:${request.peer.address}` : `consumer:${consumer}`;
    };
  if (key === "route") {
    if (context.route === undefined) {
      throw new ConfigError([
        { code: ConfigErrorCode.VALUE, path: `${context.configPath}.key`, message: "key: route needs a route: a global filter runs before routing (use it on each route, or key: ip)" },
      ]);
    }
    return () => "route";
  }
  const name = key.slice("header:".length).toLowerCase();
  return (request) => {
    const value = headerText(request.headers[name]);
    return value === undefined || value === "" ? `ip:${request.peer.address}` : `header:${value}`;
  };
}

function headersOf(decision: BucketDecision, limit: string): Record<string, string> {
  return { "ratelimit-limit": limit, "ratelimit-remaining": String(decision.remaining), "ratelimit-reset": String(Math.ceil(decision.resetMs / 1000)) };
}

/**
 * A token bucket per key: `- rate-limit: { rate: 100, per: 1m, burst: 20, key: ip }`.
 * A bucket holds `burst` tokens, refilled at `rate` per `per`; a request
 * takes one or is refused with 429 RESOURCE_EXHAUSTED and Retry-After. Every
 * reply of the route carries RateLimit-Limit (the bucket size),
 * RateLimit-Remaining and RateLimit-Reset (seconds until the bucket is full),
 * frame replies as headers too.
 */
export const rateLimitFilter: FilterFactory<RateLimitOptions> = {
  name: "rate-limit",
  description: "token-bucket rate limit per client address, route, consumer or header, in memory or shared in Redis; 429",
  optionsSchema: rateLimitSchema,
  create(options, context) {
    const burst = options.burst ?? options.rate;
    const shape: BucketShape = { burst, tokensPerMs: options.rate / options.per };
    const keyOf = keyFunction(options.key, context);
    const limit = String(burst);

    const refuse = (request: RequestEnvelope, decision: BucketDecision): Promise<never> => {
      markRateLimited(request); // rosetta_rate_limited_total{route}
      const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      const metadata = { ...headersOf(decision, limit), "retry-after": String(retryAfter) };
      return Promise.reject(new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `rate limit exceeded: retry in ${retryAfter}s`, { metadata }));
    };
    const pass = (next: Handler, request: RequestEnvelope, decision: BucketDecision): Promise<ResponseEnvelope> =>
      next(request)
        .catch(errorResponse)
        .then((response) => {
          Object.assign(response.headers, headersOf(decision, limit));
          return response;
        });

    if (options.store === "memory") {
      const buckets = new MemoryBuckets(shape, options.maxKeys);
      return (next) => (request) => {
        const decision = buckets.take(keyOf(request));
        return decision.allowed ? pass(next, request, decision) : refuse(request, decision);
      };
    }

    const redis = context.redis;
    if (redis === undefined) {
      throw new ConfigError([{ code: ConfigErrorCode.REQUIRED, path: `${context.configPath}.store`, message: "store: redis needs the top-level `redis` section ({ url: redis://host:port })" }]);
    }
    redis.client(); // connect now, not on the first request
    const scope = context.route === undefined ? `global/${context.configPath}` : `${context.route.id}/${context.configPath.slice(context.configPath.indexOf("filters"))}`;
    const prefix = `${redis.keyPrefix}rate-limit:${scope}:`;
    const buckets = new RedisBuckets(() => redis.connected(), shape, options.timeout);
    const failOpen = options.failMode === "open";
    return (next) => (request) =>
      buckets.take(prefix + keyOf(request)).then((decision) => {
        if (typeof decision === "string") return failOpen ? next(request) : Promise.reject(storeUnavailable);
        return decision.allowed ? pass(next, request, decision) : refuse(request, decision);
      });
  },
};
