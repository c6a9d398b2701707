import { randomBytes } from "node:crypto";
import { setOwnProperty } from "../../core/own-property.js";
import { ExactNumber, setExactJsonHook } from "../../core/exact-number.js";

/**
 * Exact JSON numbers without JSON.parse source access (Node 20 has none).
 * A number token can only lose value in a double if it has 16 or more
 * significant digits or an exponent (below 2^53, 15 digits are exact), so a
 * native regex over the text rules out the common document first; only then
 * a string-aware scan looks at the actual tokens, and only tokens whose
 * double is an integer that is not their exact value (9007199254740993,
 * 1e300, 1.0000000000000001) are replaced by an ExactNumber, by parsing the
 * text again with those tokens written as marked strings.
 */
const maybeLong = /\d[eE]|\d(?:\.?\d){15}/;
// Marked strings cannot be forged by a caller: the marker is random per process.
const marker = `\uE000${randomBytes(8).toString("hex")}:`;
const markedToken = new RegExp(`"${marker}([-+.0-9eE]+)"`, "g");

/** `value` is JSON.parse(text); returns it, or a copy whose inexact numbers are ExactNumbers. */
export function withExactNumbers(text: string, value: unknown): unknown {
  if (!maybeLong.test(text)) return value;
  const tokens = inexactTokens(text);
  if (tokens.length === 0) return value;
  let rewritten = "";
  let from = 0;
  const texts: string[] = [];
  for (const [start, end] of tokens) {
    rewritten += `${text.slice(from, start)}"${marker}${texts.length}"`;
    texts.push(text.slice(start, end));
    from = end;
  }
  return revive(JSON.parse(rewritten + text.slice(from)), texts);
}

/** [start, end) of every number token that needs its text. */
function inexactTokens(text: string): Array<readonly [number, number]> {
  const found: Array<readonly [number, number]> = [];
  const length = text.length;
  for (let index = 0; index < length; index++) {
    let code = text.charCodeAt(index);
    if (code === 0x22 /* " */) {
      for (index++; index < length; index++) {
        code = text.charCodeAt(index);
        if (code === 0x5c /* \ */) index++;
        else if (code === 0x22) break;
      }
      continue;
    }
    if (code !== 0x2d /* - */ && (code < 0x30 || code > 0x39)) continue;
    const start = index;
    let significant = 0;
    let leading = true;
    let notation = false;
    let exponent = false;
    for (; index < length; index++) {
      code = text.charCodeAt(index);
      if (code >= 0x30 && code <= 0x39) {
        if (!exponent && (code !== 0x30 || !leading)) {
          significant++;
          leading = false;
        }
      } else if (code === 0x2e /* . */) {
        notation = true;
      } else if (code === 0x65 || code === 0x45 /* e E */) {
        notation = exponent = true;
      } else if (code !== 0x2b && code !== 0x2d /* + - */) {
        break;
      }
    }
    if (exponent || significant > 15) {
      const number = Number(text.slice(start, index));
      if (Number.isInteger(number) && (!Number.isSafeInteger(number) || (notation && significant > 15))) found.push([start, index]);
    }
    index--;
  }
  return found;
}

function revive(value: unknown, texts: readonly string[]): unknown {
  if (typeof value === "string") {
    if (!value.startsWith(marker)) return value;
    const text = texts[Number(value.slice(marker.length))];
    return text === undefined ? value : new ExactNumber(text);
  }
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) value[index] = revive(value[index], texts);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) setOwnProperty(record, key, revive(record[key], texts));
  return record;
}

let sawExact = false;
const noteExact = (number: ExactNumber): unknown => {
  sawExact = true;
  return number.value;
};
const markExact = (number: ExactNumber): unknown => `${marker}${number.text}`;
setExactJsonHook(noteExact);

/**
 * JSON.stringify that writes ExactNumbers by their text. A second pass runs
 * only when the first met one, so plain values cost one flag.
 */
export function stringifyExact(value: unknown): string | undefined {
  sawExact = false;
  const text = JSON.stringify(value);
  if (!sawExact || text === undefined) return text;
  setExactJsonHook(markExact);
  try {
    return JSON.stringify(value).replace(markedToken, (_match, token: string) => token);
  } finally {
    setExactJsonHook(noteExact);
  }
}
