/** One error answer, as the dashboard lists it. */
export interface RecentError {
  /** When it was answered, ms since the epoch. */
  readonly time: number;
  readonly route: string;
  readonly status: number;
  readonly message: string;
  readonly method: string;
  /** The request path without its query (a query may carry secrets). */
  readonly path: string;
  readonly service: string | undefined;
  readonly target: string | undefined;
}

/** Longest message or path kept: enough to read, bounded whatever a caller sends. */
const maxText = 300;

const clip = (text: string) => (text.length > maxText ? `${text.slice(0, maxText)}…` : text);

/**
 * The last `capacity` error answers, newest first: a fixed ring, written
 * only when a request fails, so the success path pays nothing.
 */
export class RecentErrors {
  readonly #ring: (RecentError | undefined)[];
  #next = 0;

  constructor(readonly capacity = 50) {
    this.#ring = new Array<RecentError | undefined>(capacity).fill(undefined);
  }

  add(error: RecentError): void {
    this.#ring[this.#next] = { ...error, message: clip(error.message), path: clip(error.path) };
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Newest first. */
  list(): RecentError[] {
    const result: RecentError[] = [];
    for (let index = 1; index <= this.capacity; index++) {
      const entry = this.#ring[(this.#next - index + this.capacity) % this.capacity];
      if (entry === undefined) break;
      result.push(entry);
    }
    return result;
  }
}
