/**
 * Sets `key` as an own, ordinary property even when it is `__proto__`:
 * assignment would change the object's prototype instead. For keys that come
 * from input (map keys, XML names).
 */
export function setOwnProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
