import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { decide, type BucketDecision, type BucketShape } from "./token-bucket.js";

/**
 * One token-bucket decision, atomic inside Redis. The clock is Redis's own
 * (TIME), so instances with skewed clocks still share one rate. A key that
 * expired is a full bucket, so the TTL is the time to refill from empty.
 * Returns { allowed, tokens left } with tokens as a string (Lua numbers
 * become integers in a reply).
 */
const script = `
local burst = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * per_ms)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.3f', now))
redis.call('PEXPIRE', KEYS[1], ttl)
return { allowed, string.format('%.6f', tokens) }
`;
const sha = createHash("sha1").update(script).digest("hex");

/** Why a Redis decision was not made. */
export type StoreFailure = "timeout" | "error";

/**
 * Token buckets in Redis, shared by every instance and worker using the same
 * Redis and key prefix. Each decision is one EVALSHA (the script is sent
 * once per Redis start: after a NOSCRIPT the fallback EVAL caches it again),
 * bounded by `timeoutMs`; it resolves with a failure instead of rejecting.
 */
export class RedisBuckets {
  readonly #redis: () => Redis | Promise<Redis>;
  readonly #shape: BucketShape;
  readonly #timeoutMs: number;
  readonly #args: readonly string[];

  constructor(redis: () => Redis | Promise<Redis>, shape: BucketShape, timeoutMs: number) {
    this.#redis = redis;
    this.#shape = shape;
    this.#timeoutMs = timeoutMs;
    const ttl = Math.ceil(shape.burst / shape.tokensPerMs) + 1000;
    this.#args = [String(shape.burst), String(shape.tokensPerMs), String(ttl)];
  }

  take(key: string): Promise<BucketDecision | StoreFailure> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#timeoutMs, "timeout");
      this.#run(key).then(
        (reply) => {
          clearTimeout(timer);
          resolve(decide(this.#shape, Number(reply[1]), reply[0] === 1));
        },
        () => {
          clearTimeout(timer);
          resolve("error");
        },
      );
    });
  }

  async #run(key: string): Promise<[number, string]> {
    const redis = await this.#redis();
    try {
      return (await redis.evalsha(sha, 1, key, ...this.#args)) as [number, string];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return (await redis.eval(script, 1, key, ...this.#args)) as [number, string];
    }
  }
}
