import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { Logger } from "../../observability/logger.js";

export interface JwksCacheOptions {
  readonly url: string;
  /** A key set older than this is refetched in the background; requests keep using it meanwhile. */
  readonly refresh: number;
  /** Least time between two fetches that requests cause (an unknown kid, a failed fetch). */
  readonly cooldown: number;
  /** Bounds one fetch, and a request's wait for the very first key set. */
  readonly timeout: number;
  readonly maxBytes: number;
}

/** While no key set was ever loaded, a request may retry the fetch this often (the IdP may just be starting). */
const retryWithoutKeys = 1000;

/**
 * One JWKS URL's keys, fetched when the filter is built and refreshed on
 * use: no timer runs while no request comes. A failed refresh keeps the
 * keys already held (an IdP outage must not lock every caller out); an
 * unknown `kid` refetches at most once per cooldown, so tokens with made-up
 * kids cannot turn the gateway into a load generator against the IdP.
 */
export class JwksCache {
  readonly #options: JwksCacheOptions;
  readonly #logger: Logger;
  /** The URL as logged: no user info, no query (either may hold a secret). */
  readonly #safeUrl: string;
  readonly #closed = new AbortController();
  #keys: JWTVerifyGetKey | undefined;
  #loadedAt = 0;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<boolean> | undefined;

  constructor(options: JwksCacheOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
    const url = new URL(options.url);
    this.#safeUrl = `${url.protocol}//${url.host}${url.pathname}`;
    void this.#fetch();
  }

  /** The keys to verify with: waits for the first load at most `timeout`; undefined when none could be loaded. */
  async keys(): Promise<JWTVerifyGetKey | undefined> {
    const now = Date.now();
    if (this.#keys !== undefined) {
      if (now - this.#loadedAt >= this.#options.refresh && now - this.#attemptedAt >= this.#options.cooldown) void this.#fetch();
      return this.#keys;
    }
    const pending = this.#inflight ?? (now - this.#attemptedAt >= retryWithoutKeys ? this.#fetch() : undefined);
    if (pending !== undefined) await pending;
    return this.#keys;
  }

  /** A token named a key the set lacks: refetch unless one was tried within the cooldown. True when a new set arrived. */
  refetch(): Promise<boolean> {
    if (this.#inflight !== undefined) return this.#inflight;
    if (Date.now() - this.#attemptedAt < this.#options.cooldown) return Promise.resolve(false);
    return this.#fetch();
  }

  close(): void {
    this.#closed.abort();
  }

  #fetch(): Promise<boolean> {
    if (this.#inflight !== undefined) return this.#inflight;
    this.#attemptedAt = Date.now();
    const done = this.#load().then(
      (keys) => {
        this.#keys = keys;
        this.#loadedAt = Date.now();
        return true;
      },
      (error: unknown) => {
        if (!this.#closed.signal.aborted) {
          const reason = error instanceof Error ? (codeOf(error.cause) ?? error.message) : String(error);
          this.#logger.warn(this.#keys === undefined ? "JWKS fetch failed; jwt requests get 503 until it succeeds" : "JWKS fetch failed; keeping the cached keys", {
            url: this.#safeUrl,
            error: reason,
          });
        }
        return false;
      },
    );
    this.#inflight = done.finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #load(): Promise<JWTVerifyGetKey> {
    const signal = AbortSignal.any([this.#closed.signal, AbortSignal.timeout(this.#options.timeout)]);
    const response = await fetch(this.#options.url, { signal, headers: { accept: "application/jwk-set+json, application/json" } });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`status ${response.status}`);
    }
    const text = await readText(response, this.#options.maxBytes);
    const document = JSON.parse(text) as unknown;
    if (typeof document !== "object" || document === null || !Array.isArray((document as { keys?: unknown }).keys)) throw new Error('not a JWK Set (no "keys" list)');
    return createLocalJWKSet(document as JSONWebKeySet);
  }
}

/** A response body as text, refused past `maxBytes` (a JWKS is a few KiB; a huge one is a misconfiguration or an attack). */
async function readText(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function codeOf(cause: unknown): string | undefined {
  return typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string" ? cause.code : undefined;
}
