/**
 * The request-body bytes one listener may hold in memory at once, across
 * all its requests. Buffering protects the upstream pools from callers that
 * trickle their bodies; this bound keeps buffering from becoming a memory
 * attack of its own: a body that does not fit streams instead.
 */
export class BodyBufferBudget {
  #available: number;

  constructor(totalBytes: number) {
    this.#available = totalBytes;
  }

  /** Takes `bytes` from the budget if that many are left. */
  take(bytes: number): boolean {
    if (bytes > this.#available) return false;
    this.#available -= bytes;
    return true;
  }

  give(bytes: number): void {
    this.#available += bytes;
  }
}
