import { isIP } from "node:net";

/** An address as a family and a number: IPv4 in 32 bits, IPv6 in 128 (a BigInt); IPv4-mapped IPv6 is IPv4. */
export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** Parses an IPv4 or IPv6 literal (a zone id is dropped); undefined for anything else. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const percent = text.indexOf("%");
  const address = percent < 0 ? text : text.slice(0, percent);
  const family = isIP(address);
  if (family === 4) return { family: 4, value: BigInt(ipv4Number(address)) };
  if (family !== 6) return undefined;
  const value = ipv6Value(address);
  // ::ffff:a.b.c.d is an IPv4 caller on a dual-stack socket: rules written in IPv4 must apply to it.
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

function ipv4Number(address: string): number {
  const [a, b, c, d] = address.split(".").map(Number) as [number, number, number, number];
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function ipv6Value(address: string): bigint {
  let text = address;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = ipv4Number(text.slice(lastColon + 1));
    tail = [v4 >>> 16, v4 & 0xffff];
    const head = text.slice(0, lastColon + 1);
    text = head.endsWith("::") ? head : head.slice(0, -1);
  }
  const double = text.indexOf("::");
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16)));
  let groups: number[];
  if (double < 0) {
    groups = [...groupsOf(text), ...tail];
  } else {
    const head = groupsOf(text.slice(0, double));
    const rest = [...groupsOf(text.slice(double + 2)), ...tail];
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

/** One parsed `address[/bits]` rule; an IPv4-mapped IPv6 block becomes the IPv4 block it names. */
export function parseCidr(text: string): { readonly family: 4 | 6; readonly network: bigint; readonly bits: number } | undefined {
  const slash = text.indexOf("/");
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined || text.includes("%")) return undefined;
  const written = isIP(slash < 0 ? text : text.slice(0, slash)) === 6 ? 128 : 32;
  const bitsText = slash < 0 ? undefined : text.slice(slash + 1);
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return undefined;
  let bits = bitsText === undefined ? written : Number(bitsText);
  if (bits > written) return undefined;
  if (written === 128 && address.family === 4) {
    if (bits < 96) return undefined; // wider than ::ffff:0:0/96 would mix mapped and native IPv6
    bits -= 96;
  }
  const width = address.family === 4 ? 32 : 128;
  return { family: address.family, network: address.value & mask(width, bits), bits };
}

function mask(width: number, bits: number): bigint {
  return bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
}

/**
 * A set of CIDR blocks compiled once: per family, one hash set of masked
 * networks per distinct prefix length, so a lookup costs one set probe per
 * prefix length in use (at most 33 for IPv4, 129 for IPv6), whatever the
 * number of rules.
 */
export class IpMatcher {
  readonly #v4: readonly (readonly [bigint, Set<bigint>])[];
  readonly #v6: readonly (readonly [bigint, Set<bigint>])[];

  /** Throws on an entry that is not an address or CIDR block (the schema checks first). */
  constructor(entries: readonly string[]) {
    const byFamily = { 4: new Map<number, Set<bigint>>(), 6: new Map<number, Set<bigint>>() };
    for (const entry of entries) {
      const cidr = parseCidr(entry);
      if (cidr === undefined) throw new Error(`"${entry}" is not an IP address or CIDR block`);
      const table = byFamily[cidr.family];
      let networks = table.get(cidr.bits);
      if (networks === undefined) table.set(cidr.bits, (networks = new Set()));
      networks.add(cidr.network);
    }
    const compile = (table: Map<number, Set<bigint>>, width: number) => [...table].sort(([a], [b]) => b - a).map(([bits, networks]) => [mask(width, bits), networks] as const);
    this.#v4 = compile(byFamily[4], 32);
    this.#v6 = compile(byFamily[6], 128);
  }

  get size(): number {
    return this.#v4.length + this.#v6.length;
  }

  matches(address: ParsedAddress): boolean {
    for (const [bitMask, networks] of address.family === 4 ? this.#v4 : this.#v6) {
      if (networks.has(address.value & bitMask)) return true;
    }
    return false;
  }
}
