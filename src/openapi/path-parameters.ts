import type { PathTemplate, TemplateSegment } from "../pipeline/path-template.js";

/** A path variable as OpenAPI writes it: `{name}`, with a pattern when it spans segments or is constrained. */
export interface PathVariable {
  /** The dotted field path the variable binds (or `_wildcardN` for a `*` outside a variable). */
  readonly name: string;
  readonly fieldPath: string | undefined;
  /** Anchored regular expression of the value; undefined for a plain `{field}` (one segment). */
  readonly pattern: string | undefined;
}

export interface OpenApiPath {
  /** `/v1/{name}/price`, `/v1/{parent}/items:watch`. */
  readonly path: string;
  readonly variables: readonly PathVariable[];
}

/**
 * A google.api.http template as an OpenAPI path: each variable becomes
 * `{field}`; one that spans segments (`{name=shops/*}`) gets a `pattern`,
 * as grpc-gateway's generator writes it. A `*` or `**` outside any variable
 * becomes a parameter of its own, since an OpenAPI path has no wildcards.
 */
export function openApiPath(template: PathTemplate): OpenApiPath {
  const parts: string[] = [];
  const variables: PathVariable[] = [];
  let wildcards = 0;
  for (let index = 0; index < template.segments.length; ) {
    const variable = template.variables.find((candidate) => candidate.start === index);
    if (variable !== undefined) {
      const length = variable.length < 0 ? template.segments.length - index : variable.length;
      const covered = template.segments.slice(index, index + length);
      const plain = covered.length === 1 && covered[0]?.kind === "wildcard";
      variables.push({ name: variable.fieldPath, fieldPath: variable.fieldPath, pattern: plain ? undefined : `^${covered.map(segmentPattern).join("/")}$` });
      parts.push(`{${variable.fieldPath}}`);
      index += length;
      continue;
    }
    const segment = template.segments[index];
    if (segment === undefined) break;
    if (segment.kind === "literal") {
      parts.push(segment.value);
    } else {
      const name = `_wildcard${++wildcards}`;
      variables.push({ name, fieldPath: undefined, pattern: segment.kind === "wildcard" ? undefined : "^.+$" });
      parts.push(`{${name}}`);
    }
    index++;
  }
  return { path: `/${parts.join("/")}${template.verb === undefined ? "" : `:${template.verb}`}`, variables };
}

function segmentPattern(segment: TemplateSegment): string {
  if (segment.kind === "wildcard") return "[^/]+";
  if (segment.kind === "deep-wildcard") return ".+";
  return segment.value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
