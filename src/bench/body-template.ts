import { randomUUID } from "node:crypto";

/**
 * Body templates so that writes do not all hit one key: `{{seq}}` (the
 * request's sequence number), `{{uuid}}`, `{{randInt a b}}` (inclusive).
 * Compiled once into parts; a body without placeholders is returned as is.
 */
export type BodyTemplate = (sequence: number) => string;

type Part = string | ((sequence: number) => string);

const placeholder = /\{\{\s*([^}]*?)\s*\}\}/g;

export function compileBodyTemplate(text: string): BodyTemplate {
  const parts: Part[] = [];
  let last = 0;
  for (const match of text.matchAll(placeholder)) {
    parts.push(text.slice(last, match.index));
    parts.push(placeholderPart(match[1] ?? ""));
    last = match.index + match[0].length;
  }
  if (parts.length === 0) return () => text;
  parts.push(text.slice(last));
  return (sequence) => {
    let out = "";
    for (const part of parts) out += typeof part === "string" ? part : part(sequence);
    return out;
  };
}

function placeholderPart(expression: string): Part {
  const [name, ...args] = expression.split(/\s+/);
  if (name === "seq" && args.length === 0) return (sequence) => String(sequence);
  if (name === "uuid" && args.length === 0) return () => randomUUID();
  if (name === "randInt" && args.length === 2) {
    const [low, high] = args.map(Number);
    if (low !== undefined && high !== undefined && Number.isSafeInteger(low) && Number.isSafeInteger(high) && low <= high) {
      const span = high - low + 1;
      return () => String(low + Math.floor(Math.random() * span));
    }
  }
  throw new Error(`unknown body template placeholder {{${expression}}}: use {{seq}}, {{uuid}} or {{randInt LOW HIGH}} with integers LOW <= HIGH`);
}
