const unitMilliseconds: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses `250ms`, `2s`, `1.5m`, `1h` into milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * unitMilliseconds[match[2]!]!);
}

const unitBytes: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};
const sizePattern = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)$/i;

/** Parses `512KiB`, `1MiB`, `10MB` into bytes; undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const match = sizePattern.exec(text.trim());
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * unitBytes[match[2]!.toLowerCase()]!);
}
