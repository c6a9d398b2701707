import { BlockList, isIP } from "node:net";
import type { HeaderMap } from "../../core/envelope.js";

/**
 * Rebuilds X-Forwarded-For/-Proto/-Host from the socket. A caller's own
 * values are kept (and X-Forwarded-For extended) only when the peer is a
 * configured trusted proxy; from anyone else they are replaced, as are
 * `Forwarded` headers, so no caller can spoof its address to an upstream.
 * Returns the client address filters and logs use: the socket peer, or behind
 * trusted proxies the nearest X-Forwarded-For entry that is not one of them.
 */
export function createForwardedHeaders(trustedProxies: readonly string[]): (headers: HeaderMap, peerAddress: string, scheme: string) => string {
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
      const priorText = prior === undefined ? undefined : Array.isArray(prior) ? prior.join(", ") : prior;
      headers["x-forwarded-for"] = priorText === undefined ? address : `${priorText}, ${address}`;
      headers["x-forwarded-proto"] ??= scheme;
      if (headers["x-forwarded-host"] === undefined && headers.host !== undefined) headers["x-forwarded-host"] = headers.host;
      return priorText === undefined ? peerAddress : clientBehind(trusted, priorText, address);
    }
    headers["x-forwarded-for"] = address;
    headers["x-forwarded-proto"] = scheme;
    if (headers.host !== undefined) headers["x-forwarded-host"] = headers.host;
    else headers["x-forwarded-host"] = undefined;
    if (headers.forwarded !== undefined) headers.forwarded = undefined;
    return peerAddress;
  };
}

/**
 * Walks X-Forwarded-For from the right (the hop nearest Rosetta): trusted
 * proxies are skipped, the first other address is the client. An entry that
 * is not an address ends the walk at the last trusted hop, since anything
 * left of it may be forged.
 */
function clientBehind(trusted: BlockList, forwardedFor: string, proxy: string): string {
  const hops = forwardedFor.split(",");
  let client = proxy;
  for (let index = hops.length - 1; index >= 0; index--) {
    let hop = hops[index]!.trim();
    if (hop.startsWith("[")) hop = hop.slice(1, hop.indexOf("]") < 0 ? undefined : hop.indexOf("]"));
    if (hop.startsWith("::ffff:") && isIP(hop.slice(7)) === 4) hop = hop.slice(7);
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!isTrusted(trusted, hop)) return client;
  }
  return client;
}

function isTrusted(trusted: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 6 ? "ipv6" : "ipv4");
}
