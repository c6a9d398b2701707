import { test } from "uvu";
import * as assert from "uvu/assert";
import { IpMatcher, parseAddress, parseCidr } from "../../src/filters/ip-matcher.js";

test("address parsing: IPv4, IPv6 forms, IPv4-mapped becomes IPv4, zone ids dropped, garbage refused", () => {
  const rows: Array<[string, string, { family: 4 | 6; value: bigint } | undefined]> = [
    ["dotted quad", "192.0.2.1", { family: 4, value: 0xc0000201n }],
    ["loopback v6", "::1", { family: 6, value: 1n }],
    ["unspecified", "::", { family: 6, value: 0n }],
    ["full form", "2001:0db8:0000:0000:0000:0000:0000:0001", { family: 6, value: 0x20010db8000000000000000000000001n }],
    ["compressed in the middle", "2001:db8::1", { family: 6, value: 0x20010db8000000000000000000000001n }],
    ["compressed at the end", "fe80::", { family: 6, value: 0xfe800000000000000000000000000000n }],
    ["upper case", "2001:DB8::A", { family: 6, value: 0x20010db800000000000000000000000an }],
    ["zone id", "fe80::1%eth0", { family: 6, value: 0xfe800000000000000000000000000001n }],
    ["IPv4-mapped", "::ffff:10.1.2.3", { family: 4, value: 0x0a010203n }],
    ["IPv4-mapped in hex", "::ffff:a01:203", { family: 4, value: 0x0a010203n }],
    ["embedded IPv4 that is not mapped", "64:ff9b::192.0.2.1", { family: 6, value: 0x0064ff9b0000000000000000c0000201n }],
    ["not an address", "unknown", undefined],
    ["an IPv4 with a port", "10.0.0.1:80", undefined],
    ["empty", "", undefined],
  ];
  for (const [what, text, expected] of rows) assert.equal(parseAddress(text), expected, what);
});

test("CIDR parsing: prefixes checked per family; a mapped block becomes its IPv4 block", () => {
  const rows: Array<[string, string, { family: 4 | 6; network: bigint; bits: number } | undefined]> = [
    ["host v4", "10.0.0.1", { family: 4, network: 0x0a000001n, bits: 32 }],
    ["host bits masked off", "10.9.8.7/16", { family: 4, network: 0x0a090000n, bits: 16 }],
    ["v4 /0", "0.0.0.0/0", { family: 4, network: 0n, bits: 0 }],
    ["v6 /32", "2001:db8::/32", { family: 6, network: 0x20010db8000000000000000000000000n, bits: 32 }],
    ["v6 /0", "::/0", { family: 6, network: 0n, bits: 0 }],
    ["v6 host", "::1", { family: 6, network: 1n, bits: 128 }],
    ["mapped /104 is v4 /8", "::ffff:10.0.0.0/104", { family: 4, network: 0x0a000000n, bits: 8 }],
    ["v4 prefix too long", "10.0.0.0/33", undefined],
    ["v6 prefix too long", "::/129", undefined],
    ["not a number", "10.0.0.0/x", undefined],
    ["negative", "10.0.0.0/-1", undefined],
    ["two slashes", "10.0.0.0/8/8", undefined],
    ["mapped block wider than the mapped range", "::ffff:0.0.0.0/95", undefined],
    ["a name", "localhost", undefined],
  ];
  for (const [what, text, expected] of rows) assert.equal(parseCidr(text), expected, what);
});

test("IPv6 and IPv4 CIDR matching table", () => {
  const matcher = new IpMatcher(["2001:db8::/32", "fe80::/10", "2001:db8:abcd:12::/64", "::1", "10.0.0.0/8", "192.168.1.128/25", "::ffff:172.16.0.0/108"]);
  const rows: Array<[string, boolean]> = [
    ["2001:db8::1", true],
    ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["2001:db9::1", false],
    ["2001:db7:ffff::1", false],
    ["fe80::1", true],
    ["febf:ffff::1", true],
    ["fec0::1", false],
    ["::1", true],
    ["::2", false],
    ["::", false],
    ["10.255.255.255", true],
    ["11.0.0.0", false],
    ["::ffff:10.1.2.3", true], // a dual-stack socket's IPv4 caller matches IPv4 rules
    ["192.168.1.128", true],
    ["192.168.1.127", false],
    ["192.168.1.255", true],
    ["172.16.5.5", true], // the mapped rule ::ffff:172.16.0.0/108 is 172.16.0.0/12
    ["172.32.0.1", false],
    ["::a00:1", false], // IPv4-compatible (not mapped) is plain IPv6
    ["unknown", false],
  ];
  for (const [address, expected] of rows) {
    const parsed = parseAddress(address);
    assert.is(parsed !== undefined && matcher.matches(parsed), expected, address);
  }
});

test("the matcher probes one set per distinct prefix length, not one per rule", () => {
  const entries = Array.from({ length: 10_000 }, (_, index) => `10.${index >> 8}.${index & 255}.0/24`);
  const matcher = new IpMatcher([...entries, "2001:db8::/48"]);
  assert.is(matcher.size, 2);
  assert.ok(matcher.matches(parseAddress("10.39.15.200")!));
  assert.not.ok(matcher.matches(parseAddress("10.39.16.200")!));
});

test.run();
