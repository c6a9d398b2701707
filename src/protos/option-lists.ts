/**
 * protobufjs (v7) reads a list of scalars in an aggregate option
 * (`tags: ["a", "b"]`) but not a list of messages, which protoc accepts and
 * grpc-gateway's protos use:
 *
 *   additional_bindings: [ { get: "/a" }, { get: "/b" } ]
 *
 * The text-format equivalent is the field repeated, which protobufjs reads
 * into an array. This rewrites the first form into the second before parsing,
 * changing no line breaks (so parse errors keep their line numbers) and
 * touching nothing inside strings or comments.
 */
export function repeatOptionMessageLists(source: string): string {
  let current = source;
  // A list nested in a list's element is rewritten on the next pass; protos nest a few levels at most.
  for (let pass = 0; pass < 8 && current.includes("["); pass++) {
    const next = rewriteOnce(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

function rewriteOnce(source: string): string {
  let out = "";
  let index = 0;
  while (index < source.length) {
    const skipped = skipOpaque(source, index);
    if (skipped > index) {
      out += source.slice(index, skipped);
      index = skipped;
      continue;
    }
    if (source[index] === "[") {
      const rewritten = rewriteList(source, index, out);
      if (rewritten !== undefined) {
        out = rewritten.out;
        index = rewritten.end;
        continue;
      }
    }
    out += source[index];
    index++;
  }
  return out;
}

/** `[ {…}, {…} ]` after `name:` → `{…} name: {…}`; undefined when the list is not a list of messages after a field name. */
function rewriteList(source: string, open: number, before: string): { out: string; end: number } | undefined {
  const name = /([A-Za-z_][\w.]*|\[[\w.]+\])\s*:?\s*$/.exec(before);
  if (name === null) return undefined;
  let index = open + 1;
  while (index < source.length && /\s/.test(source[index] ?? "")) index++;
  if (source[index] !== "{") return undefined;
  // Split at top-level commas, keeping each element's text (and line breaks) as it is.
  let depth = 0;
  let out = `${before} `;
  index = open + 1;
  while (index < source.length) {
    const skipped = skipOpaque(source, index);
    if (skipped > index) {
      out += source.slice(index, skipped);
      index = skipped;
      continue;
    }
    const char = source[index];
    if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      if (depth === 0) return char === "]" ? { out: `${out} `, end: index + 1 } : undefined;
      depth--;
    } else if (char === "," && depth === 0) {
      out += ` ${name[1]}: `;
      index++;
      continue;
    }
    out += char;
    index++;
  }
  return undefined;
}

/** The end of a string literal or comment starting at `index`, or `index` itself. */
function skipOpaque(source: string, index: number): number {
  const char = source[index];
  if (char === '"' || char === "'") {
    let end = index + 1;
    while (end < source.length && source[end] !== char) end += source[end] === "\\" ? 2 : 1;
    return Math.min(end + 1, source.length);
  }
  if (char === "/" && source[index + 1] === "/") {
    const end = source.indexOf("\n", index);
    return end < 0 ? source.length : end;
  }
  if (char === "/" && source[index + 1] === "*") {
    const end = source.indexOf("*/", index + 2);
    return end < 0 ? source.length : end + 2;
  }
  return index;
}
