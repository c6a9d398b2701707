import { Redis } from "ioredis";
import type { Logger } from "../observability/logger.js";
import { ConfigErrorCode } from "../options/error-codes.js";
import { duration, object, refine, required, string, withDefault, type Infer } from "../options/schema.js";

const redisUrl = refine(string(), (value, context) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "") {
    return context.report(ConfigErrorCode.VALUE, 'expected a Redis URL such as "redis://127.0.0.1:6379" (rediss:// for TLS; user, password and /db number may be given)');
  }
  return value;
});

/** The top-level `redis` section: where shared state (rate-limit buckets with `store: redis`) lives. */
export const redisSectionSchema = object(
  {
    url: required(redisUrl, "redis:// or rediss:// URL, with credentials and database number if needed"),
    keyPrefix: withDefault(string(), "rosetta:", "prefix of every key Rosetta writes"),
    connectTimeout: withDefault(duration({ min: 1 }), 5_000, "how long one connection attempt may take"),
  },
  "redis",
);

export type RedisSection = Infer<typeof redisSectionSchema>;

/**
 * The gateway's one Redis connection, shared by every filter that needs it,
 * opened on first use (a config whose filters never use Redis never
 * connects) and closed when the gateway stops. Until the first connection is
 * ready, `connected()` waits for it (the caller's timeout bounds the wait);
 * after that, commands are never queued while disconnected: they fail at
 * once, so the caller's fail mode decides and an outage piles up nothing.
 */
export class SharedRedis {
  readonly #section: RedisSection;
  readonly #logger: Logger;
  #client: Redis | undefined;
  #down = false;
  #firstReady: Promise<Redis> | undefined;
  #everReady = false;

  constructor(section: RedisSection, logger: Logger) {
    this.#section = section;
    this.#logger = logger;
  }

  get keyPrefix(): string {
    return this.#section.keyPrefix;
  }

  client(): Redis {
    if (this.#client !== undefined) return this.#client;
    const client = new Redis(this.#section.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Decisions made in one event-loop turn go out in one write: fewer syscalls per request under load.
      enableAutoPipelining: true,
      connectTimeout: this.#section.connectTimeout,
      // Back within half a second of Redis returning.
      retryStrategy: (attempt) => Math.min(50 * attempt, 500),
    });
    // Logged once per outage, without the URL (it may hold a password).
    client.on("error", (error: Error) => {
      if (this.#down) return;
      this.#down = true;
      this.#logger.warn("redis unavailable", { error: error.message });
    });
    client.on("ready", () => {
      if (this.#down) this.#logger.info("redis available again");
      this.#down = false;
      this.#everReady = true;
    });
    this.#firstReady = new Promise((resolve) => client.once("ready", () => resolve(client)));
    client.connect().catch(() => {
      // Reported by the error event; ioredis keeps reconnecting.
    });
    this.#client = client;
    return client;
  }

  /** The client, or while it has never been ready (start-up), a promise of it. */
  connected(): Redis | Promise<Redis> {
    const client = this.client();
    return this.#everReady ? client : this.#firstReady!;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    client.disconnect(false);
  }
}
