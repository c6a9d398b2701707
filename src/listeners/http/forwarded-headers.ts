import { BlockList, isIP } from "node:net";
import type { HeaderMap } from "../../core/envelope.js";

/**
 * Rebuilds X-Forwarded-For/-Proto/-Host from the socket. A caller's own
 * values are kept (and X-Forwarded-For extended) only when the peer is a
 * configured trusted proxy; from anyone else they are replaced, as are
 * `Forwarded` headers, so no caller can spoof its address to an upstream.
 */
export function createForwardedHeaders(trustedProxies: readonly string[]): (headers: HeaderMap, peerAddress: string, scheme: string) => void {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, bits] = entry.split("/") as [string, string | undefined];
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    trusted.addSubnet(address, bits === undefined ? (family === "ipv6" ? 128 : 32) : Number(bits), family);
  }
  const anyTrusted = trustedProxies.length > 0;

  return (headers, peerAddress, scheme) => {
    const address = peerAddress.startsWith("::ffff:") ? peerAddress.slice(7) : peerAddress;
    if (anyTrusted && isTrusted(trusted, address)) {
      const prior = headers["x-forwarded-for"];
      headers["x-forwarded-for"] = prior === undefined ? address : `${Array.isArray(prior) ? prior.join(", ") : prior}, ${address}`;
      headers["x-forwarded-proto"] ??= scheme;
      if (headers["x-forwarded-host"] === undefined && headers.host !== undefined) headers["x-forwarded-host"] = headers.host;
      return;
    }
    headers["x-forwarded-for"] = address;
    headers["x-forwarded-proto"] = scheme;
    if (headers.host !== undefined) headers["x-forwarded-host"] = headers.host;
    else headers["x-forwarded-host"] = undefined;
    if (headers.forwarded !== undefined) headers.forwarded = undefined;
  };
}

function isTrusted(trusted: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 6 ? "ipv6" : "ipv4");
}
