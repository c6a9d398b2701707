const unitMilliseconds: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/**
 * The `grpc-timeout` header (1–8 digits and a unit H M S m u n) in
 * milliseconds; undefined when absent or malformed (a malformed value is
 * ignored, as gRPC servers do, and the route's deadline applies).
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  return match === null ? undefined : Number(match[1]) * unitMilliseconds[match[2]!]!;
}
