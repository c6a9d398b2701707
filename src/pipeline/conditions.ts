import type { RequestEnvelope } from "../core/envelope.js";
import { ConfigErrorCode } from "../options/error-codes.js";
import { INVALID, boolean, list, map, object, optional, refine, string, type Infer, type ParseContext, type Parsed, type Schema } from "../options/schema.js";

/**
 * Route conditions beyond path and method: host, headers, query parameters
 * and the listener, composable with `all`, `any` and `not`. Each is compiled
 * once into a closure; evaluating one costs a few property reads.
 */
export type Condition = (request: RequestEnvelope) => boolean;

type ValueTest = (value: string | undefined) => boolean;

const valueMatchSchema = object(
  {
    exact: optional(string(), "the value equals this"),
    prefix: optional(string(), "the value starts with this"),
    regex: optional(string(), "the value matches this regular expression (anchored)"),
    present: optional(boolean(), "true: the key is present with any value; false: it is absent"),
  },
  "value match",
);

/** A plain string means "equals"; a mapping says exact / prefix / regex / present. */
const valueTestSchema: Schema<ValueTest> = {
  typeName: "string or value match",
  parse(input, context) {
    if (typeof input === "string") return (value) => value === input;
    return compileValueMatch(valueMatchSchema.parse(input, context), context);
  },
};

function compileValueMatch(match: Parsed<Infer<typeof valueMatchSchema>>, context: ParseContext): Parsed<ValueTest> {
  if (match === INVALID) return INVALID;
  const given = Object.entries(match).filter(([, value]) => value !== undefined);
  if (given.length !== 1) return context.report(ConfigErrorCode.VALUE, "give exactly one of exact, prefix, regex, present");
  const { exact, prefix, regex, present } = match;
  if (exact !== undefined) return (value) => value === exact;
  if (prefix !== undefined) return (value) => value?.startsWith(prefix) === true;
  if (present !== undefined) return (value) => (value !== undefined) === present;
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^(?:${regex})$`);
  } catch (error) {
    return context.at("regex").report(ConfigErrorCode.VALUE, `invalid regular expression: ${(error as Error).message}`);
  }
  return (value) => value !== undefined && pattern.test(value);
}

/** `*.example.com` matches one or more labels before `.example.com`; ports are ignored. */
function compileHost(pattern: string): Condition {
  const wanted = pattern.toLowerCase();
  const suffix = wanted.startsWith("*.") ? wanted.slice(1) : undefined;
  return (request) => {
    const raw = request.headers.host;
    if (typeof raw !== "string") return false;
    const colon = raw.lastIndexOf(":");
    const host = (colon > 0 && !raw.endsWith("]") ? raw.slice(0, colon) : raw).toLowerCase();
    return suffix === undefined ? host === wanted : host.endsWith(suffix) && host.length > suffix.length;
  };
}

function firstHeader(request: RequestEnvelope, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

interface ConditionFields {
  readonly host: string | undefined;
  readonly headers: Readonly<Record<string, ValueTest>> | undefined;
  readonly query: Readonly<Record<string, ValueTest>> | undefined;
  readonly listeners: readonly string[] | undefined;
  readonly all: readonly Condition[] | undefined;
  readonly any: readonly Condition[] | undefined;
  readonly not: Condition | undefined;
}

/** The condition fields shared by a route's `match` and by nested `all` / `any` / `not` entries. */
export function conditionFields() {
  return {
    host: optional(string({ pattern: /^(\*\.)?[A-Za-z0-9.-]+$/, patternHint: "a host name or *.suffix" }), "the Host header (port ignored); `*.example.com` matches subdomains"),
    headers: optional(map(valueTestSchema), "header name (any case) → value or value match; all must hold"),
    query: optional(map(valueTestSchema), "query parameter → value or value match; all must hold"),
    listeners: optional(list(string(), { minItems: 1 }), "names of the listeners this route serves (default: all)"),
    all: optional(list(lazyCondition, { minItems: 1 }), "every nested condition holds"),
    any: optional(list(lazyCondition, { minItems: 1 }), "at least one nested condition holds"),
    not: optional(lazyCondition, "the nested condition does not hold"),
  };
}

/** Combines the given fields into one closure; undefined when nothing is constrained. */
export function compileConditions(fields: ConditionFields): Condition | undefined {
  const parts: Condition[] = [];
  if (fields.host !== undefined) parts.push(compileHost(fields.host));
  for (const [name, test] of Object.entries(fields.headers ?? {})) {
    const lower = name.toLowerCase();
    parts.push((request) => test(firstHeader(request, lower)));
  }
  for (const [name, test] of Object.entries(fields.query ?? {})) {
    parts.push((request) => test(request.query.get(name) ?? undefined));
  }
  if (fields.listeners !== undefined) {
    const names = new Set(fields.listeners);
    parts.push((request) => names.has(request.peer.listener));
  }
  for (const nested of fields.all ?? []) parts.push(nested);
  if (fields.any !== undefined) {
    const options = fields.any;
    parts.push((request) => options.some((condition) => condition(request)));
  }
  if (fields.not !== undefined) {
    const negated = fields.not;
    parts.push((request) => !negated(request));
  }
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return (request) => parts.every((part) => part(request));
}

/** A nested condition; resolved lazily because the schema is recursive. */
const lazyCondition: Schema<Condition> = {
  typeName: "condition",
  parse(input, context) {
    return refine(
      object(conditionFields(), "condition"),
      (fields, nestedContext) => compileConditions(fields) ?? nestedContext.report(ConfigErrorCode.VALUE, "an empty condition matches everything; remove it"),
    ).parse(input, context);
  },
};
