import type protobuf from "protobufjs";

/** One google.api.http binding of a method. */
export interface HttpBinding {
  readonly httpMethod: string;
  readonly path: string;
  /** "*", a field name, or undefined for no body. */
  readonly body: string | undefined;
  readonly responseBody: string | undefined;
}

interface HttpRule {
  get?: string;
  put?: string;
  post?: string;
  delete?: string;
  patch?: string;
  custom?: { kind?: string; path?: string };
  body?: string;
  response_body?: string;
  additional_bindings?: HttpRule | HttpRule[];
}

/** The bindings of a method's `google.api.http` option (the rule and its additional_bindings), or none. */
export function httpBindings(method: protobuf.Method): HttpBinding[] {
  const options = method.parsedOptions as Array<Record<string, unknown>> | undefined;
  const rule = options?.find((option) => option["(google.api.http)"] !== undefined)?.["(google.api.http)"] as HttpRule | undefined;
  if (rule === undefined) return [];
  const bindings: HttpBinding[] = [];
  const add = (current: HttpRule) => {
    const pattern = patternOf(current);
    if (pattern !== undefined) bindings.push({ ...pattern, body: emptyToUndefined(current.body), responseBody: emptyToUndefined(current.response_body) });
    const extra = current.additional_bindings;
    for (const binding of extra === undefined ? [] : Array.isArray(extra) ? extra : [extra]) add(binding);
  };
  add(rule);
  return bindings;
}

function patternOf(rule: HttpRule): { httpMethod: string; path: string } | undefined {
  for (const verb of ["get", "put", "post", "delete", "patch"] as const) {
    const path = rule[verb];
    if (path !== undefined) return { httpMethod: verb.toUpperCase(), path };
  }
  if (rule.custom?.kind !== undefined && rule.custom.path !== undefined) return { httpMethod: rule.custom.kind.toUpperCase(), path: rule.custom.path };
  return undefined;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
