/** Keys whose values never leave the process: credentials, keys, user and consumer tables. */
const secretKey = /key|secret|password|token|users|consumers|credential|authorization/i;

export const redacted = "[redacted]";

/** A copy of a config document with every value under a secret-looking key replaced by "[redacted]". */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) copy[key] = secretKey.test(key) ? redacted : redactSecrets(entry);
  return copy;
}
