/** The host and port a ws/tcp/udp/grpc target URL names, checked: the scheme must be one of `schemes`. */
export interface TargetAddress {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

export function targetAddress(text: string, schemes: Readonly<Record<string, { readonly defaultPort: number; readonly secure: boolean }>>): TargetAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `"${text}" is not a URL; expected ${Object.keys(schemes)
        .map((scheme) => `${scheme}//host:port`)
        .join(" or ")}`,
    );
  }
  const scheme = schemes[url.protocol];
  if (scheme === undefined) throw new Error(`"${text}": the scheme must be ${Object.keys(schemes).join(" or ")}, not ${url.protocol}`);
  if (url.hostname === "") throw new Error(`"${text}" names no host`);
  // IPv6 literals come bracketed in URLs; sockets want them bare.
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { url, host, port: url.port === "" ? scheme.defaultPort : Number(url.port), secure: scheme.secure };
}

/** Requests in flight per connection: the spec's, else 64 (under the 100 a Rosetta frame listener allows by default). */
export function inFlightOf(value: number | undefined): number {
  const inFlight = value ?? 64;
  if (!Number.isSafeInteger(inFlight) || inFlight < 1) throw new Error(`requests in flight per connection must be a whole number ≥ 1, not ${inFlight}`);
  return inFlight;
}
