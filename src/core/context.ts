/**
 * A typed per-request context bag. Keys are objects, so two plugins can
 * never collide on a name, and the value type travels with the key.
 */
export interface ContextKey<T> {
  readonly description: string;
  readonly defaultValue: T;
}

export function createContextKey<T>(defaultValue: T, description: string): ContextKey<T> {
  return Object.freeze({ description, defaultValue });
}

export class ContextBag {
  #values: Map<ContextKey<unknown>, unknown> | undefined;

  get<T>(key: ContextKey<T>): T {
    const values = this.#values;
    return values?.has(key) ? (values.get(key) as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    (this.#values ??= new Map()).set(key, value);
    return this;
  }

  has(key: ContextKey<unknown>): boolean {
    return this.#values?.has(key) ?? false;
  }
}
