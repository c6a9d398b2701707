import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { list, object, refine, string, withDefault, type Infer } from "../options/schema.js";
import type { FilterFactory } from "./filter-factory.js";
import { IpMatcher, parseAddress, parseCidr } from "./ip-matcher.js";

const cidr = refine(string(), (value, context) => (parseCidr(value) === undefined ? context.report(ConfigErrorCode.VALUE, `"${value}" is not an IP address or CIDR block (IPv4 or IPv6)`) : value));

const ipFilterSchema = object(
  {
    allow: withDefault(list(cidr), [], "addresses or CIDR blocks let in; when given, every other address is refused"),
    deny: withDefault(list(cidr), [], "addresses or CIDR blocks refused, even when `allow` lets them in (deny wins)"),
  },
  "ip-filter options",
);

const refused = new GatewayError(StatusCode.PERMISSION_DENIED, "the caller's address is not allowed");

/**
 * Allows or refuses the caller's address (the socket peer, or the
 * X-Forwarded-For client behind a trusted proxy): `- ip-filter: { allow:
 * [10.0.0.0/8], deny: [10.9.0.0/16] }`. Deny wins; refusal is 403
 * PERMISSION_DENIED. IPv4-mapped IPv6 callers match IPv4 rules.
 */
export const ipFilter: FilterFactory<Infer<typeof ipFilterSchema>> = {
  name: "ip-filter",
  description: "let in or refuse callers by IP address or CIDR block (IPv4 and IPv6); deny wins; 403",
  optionsSchema: ipFilterSchema,
  create({ allow, deny }, context) {
    if (allow.length === 0 && deny.length === 0) {
      throw new ConfigError([{ code: ConfigErrorCode.REQUIRED, path: context.configPath, message: "give `allow`, `deny` or both: an ip-filter without rules would let everyone in" }]);
    }
    const allowed = allow.length === 0 ? undefined : new IpMatcher(allow);
    const denied = new IpMatcher(deny);
    // One parse per distinct address string is enough for a connection's many requests.
    let lastAddress = "";
    let lastVerdict = false;
    const admits = (text: string): boolean => {
      if (text === lastAddress) return lastVerdict;
      const address = parseAddress(text);
      const verdict = address !== undefined && !denied.matches(address) && (allowed === undefined || allowed.matches(address));
      lastAddress = text;
      lastVerdict = verdict;
      return verdict;
    };
    return (next) => (request) => (admits(request.peer.address) ? next(request) : Promise.reject(refused));
  },
};
