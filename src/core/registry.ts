import { suggest } from "./did-you-mean.js";

/**
 * One registry per extension kind (listeners, codecs, endpoints, filters),
 * filled by explicit `register` calls at start-up. Looking up an unknown key
 * throws an error that lists what is known.
 */
export class Registry<T> {
  readonly #entries = new Map<string, T>();

  constructor(readonly kind: string) {}

  register(key: string, entry: T): void {
    if (this.#entries.has(key)) throw new Error(`${this.kind} "${key}" is registered twice`);
    this.#entries.set(key, entry);
  }

  find(key: string): T | undefined {
    return this.#entries.get(key);
  }

  get(key: string): T {
    const entry = this.#entries.get(key);
    if (entry === undefined) throw new Error(this.unknownMessage(key));
    return entry;
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** `unknown listener protocol "htp" (did you mean "http"?)`, for errors that name the key. */
  unknownMessage(key: string): string {
    const hint = suggest(key, this.keys());
    const known = hint === undefined ? ` (known: ${this.keys().join(", ")})` : ` (did you mean "${hint}"?)`;
    return `unknown ${this.kind} "${key}"${known}`;
  }
}
