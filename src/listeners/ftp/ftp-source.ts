/**
 * The key limits count by: an IPv4 address (IPv4-mapped IPv6 unwrapped), or an
 * IPv6 /64, since whoever holds one IPv6 address usually holds its whole /64
 * and could otherwise take a fresh address per connection.
 */
export function sourceKey(address: string | undefined): string {
  if (address === undefined || address === "") return "unknown";
  const plain = address.split("%")[0]!;
  if (!plain.includes(":")) return plain;
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(plain)) return plain.slice(7);
  const [head = "", tail] = plain.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : new Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill("0");
  const groups = [...headGroups, ...zeros, ...tailGroups].slice(0, 4);
  return `${groups.map((group) => Number.parseInt(group, 16).toString(16)).join(":")}::/64`;
}
