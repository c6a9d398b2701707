import type protobuf from "protobufjs";

/** One google.api.http binding of a method. */
export interface HttpBinding {
  readonly httpMethod: string;
  readonly path: string;
  /** "*", a field path, or undefined for no body. */
  readonly body: string | undefined;
  readonly responseBody: string | undefined;
}

/** google.api.HttpRule as protobufjs reads it from an option, or as a rule file spells it. */
export interface HttpRule {
  get?: unknown;
  put?: unknown;
  post?: unknown;
  delete?: unknown;
  patch?: unknown;
  custom?: { kind?: unknown; path?: unknown };
  body?: unknown;
  response_body?: unknown;
  additional_bindings?: HttpRule | HttpRule[];
}

export const ruleVerbs = ["get", "put", "post", "delete", "patch"] as const;

/** A `custom` kind a request can carry: an HTTP method is a token (RFC 9110), so `GET /` or "" never matches a request. */
export function isHttpMethodName(kind: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(kind);
}

/** The bindings of a method's `google.api.http` option (the rule and its additional_bindings), or none. */
export function httpBindings(method: protobuf.Method): HttpBinding[] {
  const options = method.parsedOptions as Array<Record<string, unknown>> | undefined;
  const rule = options?.find((option) => option["(google.api.http)"] !== undefined)?.["(google.api.http)"] as HttpRule | undefined;
  return rule === undefined ? [] : bindingsOfRule(rule);
}

/** A rule and its additional_bindings, flattened; a binding without a pattern is left out. */
export function bindingsOfRule(rule: HttpRule): HttpBinding[] {
  const bindings: HttpBinding[] = [];
  const add = (current: HttpRule) => {
    const pattern = patternOf(current);
    if (pattern !== undefined) bindings.push({ ...pattern, body: textOrUndefined(current.body), responseBody: textOrUndefined(current.response_body) });
    const extra = current.additional_bindings;
    for (const binding of extra === undefined ? [] : Array.isArray(extra) ? extra : [extra]) add(binding);
  };
  add(rule);
  return bindings;
}

function patternOf(rule: HttpRule): { httpMethod: string; path: string } | undefined {
  for (const verb of ruleVerbs) {
    const path = rule[verb];
    if (typeof path === "string") return { httpMethod: verb.toUpperCase(), path };
  }
  const kind = rule.custom?.kind;
  const path = rule.custom?.path;
  if (typeof kind === "string" && typeof path === "string") return { httpMethod: kind.toUpperCase(), path };
  return undefined;
}

function textOrUndefined(value: unknown): string | undefined {
  return typeof value !== "string" || value === "" ? undefined : value;
}
