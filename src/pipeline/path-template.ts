/**
 * The google.api.http path-template grammar, shared by every upstream kind:
 *
 *   Template = "/" Segments [ Verb ] ;
 *   Segments = Segment { "/" Segment } ;
 *   Segment  = "*" | "**" | LITERAL | Variable ;
 *   Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *   FieldPath = IDENT { "." IDENT } ;
 *   Verb     = ":" LITERAL ;
 *
 * As in grpc-gateway, a verb may hold colons after a variable (`/v1/{id}:a:b`
 * has the verb `a:b`) and a literal may hold them (`/v1/a:b:c` is the literal
 * `a:b` and the verb `c`).
 * `**` may only be the last segment (before the verb), as in the spec.
 */
export type TemplateSegment = { readonly kind: "literal"; readonly value: string } | { readonly kind: "wildcard" } | { readonly kind: "deep-wildcard" };

export interface TemplateVariable {
  /** The dotted field path, e.g. `book.name`. */
  readonly fieldPath: string;
  /** Index of the first segment the variable covers. */
  readonly start: number;
  /** Number of segments covered; -1 when it ends with `**` (the rest of the path). */
  readonly length: number;
  /** True when the variable can cover more than one segment: then `%2F` stays encoded in its value. */
  readonly multiSegment: boolean;
}

export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  readonly variables: readonly TemplateVariable[];
  readonly verb: string | undefined;
}

export type TemplateResult = { readonly ok: true; readonly template: PathTemplate } | { readonly ok: false; readonly error: string };

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Literals are path characters other than the grammar's own (`/ { } = *`); a ":" inside a literal is
// part of it (RFC 3986 pchar). Which ":" starts the verb is decided in parsePathTemplate.
const literalCharacters = /^[A-Za-z0-9\-._~!$&'()+,;:@%]+$/;
const verbCharacters = literalCharacters;

/** Parses a template; errors say what is wrong and where, for config messages. Never throws. */
export function parsePathTemplate(source: string): TemplateResult {
  if (!source.startsWith("/")) return { ok: false, error: `path template "${source}" must start with "/"` };
  let body = source.slice(1);
  let verb: string | undefined;
  // The verb follows the last segment. After a variable it is everything from the first ":" after the
  // "}" (so a verb may itself hold colons: `{uuid}:custom:custom`); after a literal, from its last ":".
  const lastSlash = body.lastIndexOf("/");
  const lastBrace = body.lastIndexOf("}");
  const colon = lastBrace > lastSlash ? body.indexOf(":", lastBrace + 1) : body.lastIndexOf(":");
  if (colon > Math.max(lastSlash, lastBrace)) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!verbCharacters.test(verb)) return { ok: false, error: `path template "${source}": invalid verb ":${verb}"` };
  }
  const segments: TemplateSegment[] = [];
  const variables: TemplateVariable[] = [];
  const fail = (message: string): TemplateResult => ({ ok: false, error: `path template "${source}": ${message}` });

  // Root "/" alone: zero segments.
  if (body === "" && source === "/") return { ok: true, template: { source, segments, variables, verb } };
  let position = 0;
  while (position <= body.length) {
    if (body[position] === "{") {
      const close = body.indexOf("}", position);
      if (close < 0) return fail(`unclosed "{" at ${position + 1}`);
      const inner = body.slice(position + 1, close);
      const equals = inner.indexOf("=");
      const fieldPath = equals < 0 ? inner : inner.slice(0, equals);
      if (!fieldPath.split(".").every((part) => identifier.test(part) && part !== "__proto__")) {
        return fail(`invalid variable name "${fieldPath}"`);
      }
      if (variables.some((variable) => variable.fieldPath === fieldPath)) return fail(`variable "${fieldPath}" appears twice`);
      const start = segments.length;
      const pattern = equals < 0 ? "*" : inner.slice(equals + 1);
      for (const part of pattern.split("/")) {
        if (part.includes("{")) return fail("variables cannot nest");
        const segment = parseSegment(part);
        if (segment === undefined) return fail(`invalid segment "${part}" in variable "${fieldPath}"`);
        segments.push(segment);
      }
      const covered = segments.slice(start);
      const deep = covered.some((segment) => segment.kind === "deep-wildcard");
      variables.push({ fieldPath, start, length: deep ? -1 : covered.length, multiSegment: deep || covered.length > 1 });
      position = close + 1;
    } else {
      let end = body.indexOf("/", position);
      if (end < 0) end = body.length;
      const part = body.slice(position, end);
      if (part.includes("{") || part.includes("}")) return fail(`misplaced brace in "${part}"`);
      const segment = parseSegment(part);
      if (segment === undefined) return fail(`invalid segment "${part}"`);
      segments.push(segment);
      position = end;
    }
    if (position >= body.length) break;
    if (body[position] !== "/") return fail(`expected "/" at ${position + 2}`);
    position++;
    if (position === body.length) return fail("trailing slash");
  }
  const deepIndex = segments.findIndex((segment) => segment.kind === "deep-wildcard");
  if (deepIndex >= 0 && deepIndex !== segments.length - 1) return fail('"**" must be the last segment');
  return { ok: true, template: { source, segments, variables, verb } };
}

function parseSegment(part: string): TemplateSegment | undefined {
  if (part === "*") return { kind: "wildcard" };
  if (part === "**") return { kind: "deep-wildcard" };
  if (part === "" || !literalCharacters.test(part)) return undefined;
  return { kind: "literal", value: decodeSegment(part, false) };
}

/**
 * Percent-decodes one matched path value. Single-segment values decode fully;
 * multi-segment values keep `%2F` encoded, as google.api.http prescribes, so
 * the caller can still tell an encoded slash from a separator.
 */
export function decodeSegment(raw: string, multiSegment: boolean): string {
  if (!raw.includes("%")) return raw;
  try {
    if (!multiSegment) return decodeURIComponent(raw);
    return raw
      .split(/%2F/i)
      .map((piece) => decodeURIComponent(piece))
      .join("%2F");
  } catch {
    return raw;
  }
}
