import { createHmac, randomBytes } from "node:crypto";

/**
 * Credentials that passed a bcrypt check lately, so a client sending the
 * same Basic credentials on every request pays bcrypt's cost once per
 * `ttl`. Keyed by an HMAC-SHA-256 of user, password and stored hash under a
 * key made at start: the password is never held in clear, and a memory dump
 * gives no hash that can be guessed offline without that key. Bounded: past
 * `maxEntries` the oldest entry goes. Failures are never cached.
 */
export class VerifiedCredentials {
  readonly #key = randomBytes(32);
  readonly #expiries = new Map<string, number>();
  readonly #ttl: number;
  readonly #maxEntries: number;

  constructor(ttl: number, maxEntries: number) {
    this.#ttl = ttl;
    this.#maxEntries = ttl > 0 ? maxEntries : 0;
  }

  idOf(user: string, password: string, hash: string): string {
    return createHmac("sha256", this.#key).update(user).update("\0").update(password).update("\0").update(hash).digest("base64");
  }

  has(id: string): boolean {
    const expiry = this.#expiries.get(id);
    if (expiry === undefined) return false;
    if (expiry > Date.now()) return true;
    this.#expiries.delete(id);
    return false;
  }

  add(id: string): void {
    if (this.#maxEntries === 0) return;
    this.#expiries.delete(id);
    if (this.#expiries.size >= this.#maxEntries) this.#expiries.delete(this.#expiries.keys().next().value!);
    this.#expiries.set(id, Date.now() + this.#ttl);
  }

  get size(): number {
    return this.#expiries.size;
  }
}
