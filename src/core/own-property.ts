/**
 * Sets `key` as an own, ordinary property even when it is `__proto__`:
 * assignment would change the object's prototype instead. For keys that come
 * from input (map keys, XML names).
 */
export function setOwnProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  // Only __proto__ is an accessor on Object.prototype; any other key assigns as an own property (defineProperty cost ~10× as much).
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
