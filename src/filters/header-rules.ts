import type { HeaderMap } from "../core/envelope.js";
import { list, map, object, optional, refine, string, type Infer } from "../options/schema.js";
import { ConfigErrorCode } from "../options/error-codes.js";

const headerName = string({ pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, patternHint: "a valid header name" });
const headerValue = string({ pattern: /^[\t\x20-\x7e\x80-\xff]*$/, patternHint: "a header value without control characters" });

export const headerRulesSchema = refine(
  object(
    {
      rename: optional(map(headerName), "old name → new name; the value moves over"),
      remove: optional(list(headerName), "names to delete"),
      set: optional(map(headerValue), "name → value; replaces any value present"),
      add: optional(map(headerValue), "name → value; appended to any value present"),
    },
    "header rules",
  ),
  (rules, context) => (Object.values(rules).some((rule) => rule !== undefined) ? rules : context.report(ConfigErrorCode.VALUE, "give at least one of rename, remove, set, add")),
);

export type HeaderRules = Infer<typeof headerRulesSchema>;

/** Every header name the rules write or delete, lower case. */
export function headerRuleNames(rules: HeaderRules): string[] {
  const names = [...Object.entries(rules.rename ?? {}).flat(), ...(rules.remove ?? []), ...Object.keys(rules.set ?? {}), ...Object.keys(rules.add ?? {})];
  return [...new Set(names.map((name) => name.toLowerCase()))];
}

/**
 * Compiles header rules into one function that edits a header map in place.
 * They apply in a fixed order, whatever the order in the file: rename, then
 * remove, then set, then add. Names are matched case-insensitively.
 */
export function compileHeaderRules(rules: HeaderRules): (headers: HeaderMap) => void {
  const rename = Object.entries(rules.rename ?? {}).map(([from, to]) => [from.toLowerCase(), to.toLowerCase()] as const);
  const remove = (rules.remove ?? []).map((name) => name.toLowerCase());
  const set = Object.entries(rules.set ?? {}).map(([name, value]) => [name.toLowerCase(), value] as const);
  const add = Object.entries(rules.add ?? {}).map(([name, value]) => [name.toLowerCase(), value] as const);
  return (headers) => {
    for (const [from, to] of rename) {
      const value = headers[from];
      if (value === undefined) continue;
      headers[from] = undefined;
      headers[to] = value;
    }
    for (const name of remove) if (headers[name] !== undefined) headers[name] = undefined;
    for (const [name, value] of set) headers[name] = value;
    for (const [name, value] of add) {
      const present = headers[name];
      if (present === undefined) headers[name] = value;
      else if (name === "set-cookie") headers[name] = [...(Array.isArray(present) ? present : [present]), value];
      else headers[name] = `${Array.isArray(present) ? present.join(", ") : present}, ${value}`;
    }
  };
}
