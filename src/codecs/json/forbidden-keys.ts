/**
 * JSON.parse itself never changes a prototype, but code that later merges a
 * parsed object into another with [[Set]] semantics (Object.assign, lodash
 * merge) would. So `__proto__` keys, and `constructor` objects that carry a
 * `prototype`, are refused at the edge. A substring check skips the walk for
 * the common case.
 */
export function findForbiddenKey(text: string, value: unknown): string | undefined {
  // A key can only be spelled with an escape (\u005f_proto__) if the text has one.
  if (!text.includes('"__proto__"') && !text.includes('"constructor"') && !text.includes("\\u")) return undefined;
  return walk(value, "$");
}

function walk(value: unknown, path: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = walk(value[index], `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (Object.hasOwn(value, "__proto__")) return `"__proto__" at ${path}`;
  const constructorValue = (value as Record<string, unknown>).constructor;
  if (Object.hasOwn(value, "constructor") && typeof constructorValue === "object" && constructorValue !== null && Object.hasOwn(constructorValue, "prototype")) {
    return `"constructor.prototype" at ${path}`;
  }
  for (const [key, child] of Object.entries(value)) {
    const found = walk(child, `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
