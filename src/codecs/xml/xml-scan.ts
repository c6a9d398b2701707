import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";

export interface XmlScanLimits {
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxAttributes: number;
  readonly maxAttributeBytes: number;
}

const LT = 60,
  GT = 62,
  SLASH = 47,
  QUESTION = 63,
  BANG = 33,
  EQUALS = 61,
  QUOTE = 34,
  APOSTROPHE = 39,
  COLON = 58;

/** Names that could reach an object's prototype once they become keys. */
const forbiddenNames = new Set(["__proto__", "constructor", "prototype"]);

function isSpace(byte: number | undefined): boolean {
  return byte === 32 || byte === 10 || byte === 9 || byte === 13;
}

/**
 * Checks a document against the limits before any parser sees it: no DOCTYPE
 * or other declaration (so no entity can expand and nothing external is
 * fetched), nesting depth, element count, attributes per element and their
 * size, and no name that could reach a prototype. One pass; the skips go
 * through Buffer.indexOf, so text and attribute values cost native speed.
 * Malformed markup it cannot follow is reported here; the rest is the parser's.
 */
export function scanXml(bytes: Buffer, limits: XmlScanLimits): void {
  const length = bytes.length;
  let index = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let depth = 0;
  let elements = 0;
  const fail = (at: number, message: string): never => {
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, `${message} (${position(bytes, at)})`);
  };
  const skipTo = (from: number, terminator: string, what: string, at: number): number => {
    const end = bytes.indexOf(terminator, from, "latin1");
    if (end < 0) fail(at, `unterminated ${what}`);
    return end + terminator.length;
  };
  for (;;) {
    const open = bytes.indexOf(LT, index);
    if (open < 0) return;
    const next = bytes[open + 1];
    if (next === QUESTION) {
      index = skipTo(open + 2, "?>", "processing instruction", open);
      continue;
    }
    if (next === BANG) {
      if (startsWith(bytes, open, "<!--")) index = skipTo(open + 4, "-->", "comment", open);
      else if (startsWith(bytes, open, "<![CDATA[")) index = skipTo(open + 9, "]]>", "CDATA section", open);
      else fail(open, `XML declarations such as ${bytes.toString("latin1", open, Math.min(open + 10, length)).split(/\s/)[0]} are not accepted (no DOCTYPE, DTD or entities)`);
      continue;
    }
    if (next === SLASH) {
      depth--;
      index = skipTo(open + 2, ">", "end tag", open);
      continue;
    }
    if (depth === 0 && elements > 0) fail(open, "the document has more than one root element");
    if (++elements > limits.maxElements) fail(open, `the document has more than ${limits.maxElements} elements`);
    if (++depth > limits.maxDepth) fail(open, `XML nesting exceeds the limit of ${limits.maxDepth} levels`);
    let cursor = open + 1;
    cursor = checkName(bytes, cursor, open, fail);
    let attributes = 0;
    for (;;) {
      while (isSpace(bytes[cursor])) cursor++;
      const byte = bytes[cursor];
      if (byte === GT) {
        index = cursor + 1;
        break;
      }
      if (byte === SLASH && bytes[cursor + 1] === GT) {
        depth--;
        index = cursor + 2;
        break;
      }
      if (cursor >= length) fail(open, "unterminated start tag");
      if (++attributes > limits.maxAttributes) fail(cursor, `an element has more than ${limits.maxAttributes} attributes`);
      cursor = checkName(bytes, cursor, cursor, fail);
      while (isSpace(bytes[cursor])) cursor++;
      if (bytes[cursor] !== EQUALS) fail(cursor, "an attribute has no value");
      cursor++;
      while (isSpace(bytes[cursor])) cursor++;
      const quote = bytes[cursor];
      if (quote !== QUOTE && quote !== APOSTROPHE) fail(cursor, "an attribute value is not quoted");
      const close = bytes.indexOf(quote!, cursor + 1);
      if (close < 0) fail(cursor, "unterminated attribute value");
      if (close - cursor - 1 > limits.maxAttributeBytes) fail(cursor, `an attribute value exceeds the limit of ${limits.maxAttributeBytes} bytes`);
      cursor = close + 1;
    }
  }
}

/** Reads an element or attribute name from `start`, refusing prototype names; returns the index after it. */
function checkName(bytes: Buffer, start: number, at: number, fail: (at: number, message: string) => never): number {
  let end = start;
  let local = start;
  for (;;) {
    const byte = bytes[end];
    if (byte === undefined || isSpace(byte) || byte === GT || byte === SLASH || byte === EQUALS) break;
    if (byte === COLON) local = end + 1;
    end++;
  }
  if (end === start) fail(at, "a tag has no name");
  const size = end - local;
  if (size === 9 || size === 11) {
    const name = bytes.toString("latin1", local, end);
    if (forbiddenNames.has(name)) fail(at, `the XML name "${name}" is not allowed`);
  }
  return end;
}

function startsWith(bytes: Buffer, at: number, text: string): boolean {
  for (let offset = 0; offset < text.length; offset++) if (bytes[at + offset] !== text.charCodeAt(offset)) return false;
  return true;
}

/** "line 3, column 7" of a byte offset. */
export function position(bytes: Buffer, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let index = bytes.indexOf(10); index >= 0 && index < offset; index = bytes.indexOf(10, index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}
