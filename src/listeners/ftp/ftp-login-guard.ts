/** Sources remembered at once; past this the oldest record goes, so a flood of sources cannot grow memory. */
const maxRecords = 10_000;

interface FailureRecord {
  failures: number;
  /** When the first failure still counted happened; failures older than the lockout are forgotten. */
  since: number;
  lockedUntil: number;
}

/**
 * Login lockout per source: `maxFailures` failed logins within `lockoutMs`
 * lock the source out for `lockoutMs`; while locked, every login from it is
 * refused whatever the user and password (so the reply says nothing about
 * which users exist). A successful login does not reset the count: one known
 * account must not buy unlimited guesses at the others.
 */
export class LoginGuard {
  readonly #maxFailures: number;
  readonly #lockoutMs: number;
  readonly #records = new Map<string, FailureRecord>();

  /** `maxFailures` 0 turns the guard off. */
  constructor(maxFailures: number, lockoutMs: number) {
    this.#maxFailures = maxFailures;
    this.#lockoutMs = lockoutMs;
  }

  /** Milliseconds the source stays locked out; 0 when it may try. */
  lockedFor(source: string, now = Date.now()): number {
    const record = this.#records.get(source);
    if (record === undefined) return 0;
    if (record.lockedUntil > now) return record.lockedUntil - now;
    if (now - record.since >= this.#lockoutMs) this.#records.delete(source);
    return 0;
  }

  /** Counts a failed login; returns true when this failure locks the source out. */
  failed(source: string, now = Date.now()): boolean {
    if (this.#maxFailures === 0) return false;
    let record = this.#records.get(source);
    if (record === undefined || (record.lockedUntil <= now && now - record.since >= this.#lockoutMs)) {
      this.#records.delete(source);
      record = { failures: 0, since: now, lockedUntil: 0 };
      this.#records.set(source, record);
      if (this.#records.size > maxRecords) this.#records.delete(this.#records.keys().next().value!);
    }
    record.failures++;
    if (record.failures < this.#maxFailures) return false;
    record.failures = 0;
    record.since = now;
    record.lockedUntil = now + this.#lockoutMs;
    return true;
  }
}

/** The one reply text of a locked-out source, for every user name. */
export function lockoutMessage(waitMs: number): string {
  return `too many failed logins from your address; try again in ${Math.ceil(waitMs / 1000)} s`;
}
