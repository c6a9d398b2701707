import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";
import type { XmlDocument, XmlNode } from "./xml-node.js";

const GT = 62,
  SLASH = 47,
  QUESTION = 63,
  BANG = 33,
  EQUALS = 61,
  QUOTE = 34,
  APOSTROPHE = 39,
  HASH = 35;

/** ASCII name characters: 1 may start a name, 2 only continue one (XML 1.0 NameStartChar / NameChar). */
const asciiName = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const char = String.fromCharCode(code);
  if (/[A-Za-z_:]/.test(char)) asciiName[code] = 1;
  else if (/[0-9.-]/.test(char)) asciiName[code] = 2;
}
/** XML 1.0 NameStartChar beyond ASCII (one UTF-16 unit: astral names are refused, as sax refuses them). */
function isNameStart(code: number): boolean {
  return (
    (code >= 0xc0 && code <= 0xd6) ||
    (code >= 0xd8 && code <= 0xf6) ||
    (code >= 0xf8 && code <= 0x2ff) ||
    (code >= 0x370 && code <= 0x37d) ||
    (code >= 0x37f && code <= 0x1fff) ||
    (code >= 0x200c && code <= 0x200d) ||
    (code >= 0x2070 && code <= 0x218f) ||
    (code >= 0x2c00 && code <= 0x2fef) ||
    (code >= 0x3001 && code <= 0xd7ff) ||
    (code >= 0xf900 && code <= 0xfdcf) ||
    (code >= 0xfdf0 && code <= 0xfffd)
  );
}

/** XML 1.0 NameChar beyond ASCII. */
function isNameBody(code: number): boolean {
  return isNameStart(code) || code === 0xb7 || (code >= 0x300 && code <= 0x36f) || (code >= 0x203f && code <= 0x2040);
}
/** The safety limits (README "XML safety"), checked as the document is read. */
export interface XmlLimits {
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxAttributes: number;
  readonly maxAttributeBytes: number;
}

const unlimited: XmlLimits = { maxDepth: Infinity, maxElements: Infinity, maxAttributes: Infinity, maxAttributeBytes: Infinity };

/** Recently read element names (a small hash by first and last character and length), shared by all parses in the thread. */
const nameCacheSize = 256;
const nameCache: (string | undefined)[] = new Array<string | undefined>(nameCacheSize).fill(undefined);

/** Names that could reach an object's prototype once they become keys. */
const forbiddenNames = new Set(["__proto__", "constructor", "prototype"]);

/** What xml2js counts as "no text" (its own test): JavaScript whitespace, not only XML's. */
const blank = /^\s*$/;
const predefined: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13;
}

/** One open element: its text so far, and its object once it has attributes or children. */
interface Frame {
  readonly name: string;
  text: string;
  cdata: boolean;
  node: Record<string, unknown> | undefined;
}

/**
 * XML text → the root element, in exactly the shape xml2js gives with
 * Rosetta's options (explicitArray, `@` attributes, `#` text, whitespace-only
 * text dropped unless it came from CDATA). A single pass with no events or
 * intermediate objects: the product's hot path (xml2js on sax took ~10× as
 * long). Only well-formed XML passes: a malformed document, text or markup
 * after the root included, fails with its line and column. The safety limits
 * are checked as the parse goes, so nothing grows past them: no DOCTYPE or
 * other declaration (no entity can expand, nothing external is fetched),
 * nesting depth, element count, attributes per element and their size, and
 * no name that could reach an object's prototype.
 */
export function parseXmlText(text: string, limits: XmlLimits = unlimited): XmlDocument {
  return new XmlTextParser(text, limits).parse();
}

class XmlTextParser {
  readonly #text: string;
  readonly #limits: XmlLimits;
  #elements = 0;
  #index = 0;
  /** Set by #startTag: the tag it read ended with "/>". */
  #selfClosing = false;

  constructor(text: string, limits: XmlLimits) {
    this.#text = text;
    this.#limits = limits;
    if (text.charCodeAt(0) === 0xfeff) this.#index = 1;
  }

  parse(): XmlDocument {
    const text = this.#text;
    const length = text.length;
    const stack: Frame[] = [];
    let root: XmlDocument | undefined;
    while (this.#index < length) {
      const start = this.#index;
      const lt = text.indexOf("<", start);
      const end = lt < 0 ? length : lt;
      if (end > start) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          for (let at = start; at < end; at++) {
            if (!isSpace(text.charCodeAt(at))) this.#fail(at, root === undefined ? "text before the root element" : "text after the root element");
          }
        } else {
          const segment = text.slice(start, end);
          top.text += segment.indexOf("&") < 0 ? segment : this.#decode(segment, start);
        }
      }
      if (lt < 0) break;
      const next = text.charCodeAt(lt + 1);
      if (next === QUESTION) {
        this.#index = this.#skipTo(lt + 2, "?>", "processing instruction", lt);
      } else if (next === BANG) {
        if (text.startsWith("<!--", lt)) {
          const close = text.indexOf("--", lt + 4);
          if (close < 0) this.#refuse(lt, "unterminated comment");
          if (text.charCodeAt(close + 2) !== GT) this.#fail(close, '"--" inside a comment');
          this.#index = close + 3;
        } else if (text.startsWith("<![CDATA[", lt)) {
          const close = text.indexOf("]]>", lt + 9);
          if (close < 0) this.#refuse(lt, "unterminated CDATA section");
          const top = stack[stack.length - 1];
          if (top === undefined) this.#fail(lt, "CDATA outside the root element");
          // As sax: an empty section says nothing, so it does not keep whitespace-only text either.
          if (close > lt + 9) {
            top.text += text.slice(lt + 9, close);
            top.cdata = true;
          }
          this.#index = close + 3;
        } else {
          const declaration = text.slice(lt, Math.min(lt + 10, length)).split(/\s/)[0];
          this.#refuse(lt, `XML declarations such as ${declaration} are not accepted (no DOCTYPE, DTD or entities)`);
        }
      } else if (next === SLASH) {
        const nameEnd = this.#nameEnd(lt + 2);
        const name = text.slice(lt + 2, nameEnd);
        let at = nameEnd;
        while (isSpace(text.charCodeAt(at))) at++;
        if (at >= length) this.#refuse(lt, "unterminated end tag");
        if (text.charCodeAt(at) !== GT) this.#fail(at, "invalid character in end tag");
        const frame = stack.pop();
        if (frame === undefined) this.#fail(lt, `end tag </${name}> without a start tag`);
        if (frame.name !== name) this.#fail(lt, `end tag </${name}> does not match <${frame.name}>`);
        this.#index = at + 1;
        const node = close(frame);
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = { name, node };
        else addChild(parent, name, node);
      } else {
        if (root !== undefined) this.#fail(lt, "the document has more than one root element");
        const limits = this.#limits;
        if (++this.#elements > limits.maxElements) this.#refuse(lt, `the document has more than ${limits.maxElements} elements`);
        if (stack.length >= limits.maxDepth) this.#refuse(lt, `XML nesting exceeds the limit of ${limits.maxDepth} levels`);
        const frame = this.#startTag(lt);
        if (!this.#selfClosing) {
          // The common leaf, `<name>text</name>` with no attributes: its text is the node, without a frame on the stack.
          const leafEnd = frame.node === undefined ? this.#leafEnd(frame.name) : -1;
          if (leafEnd < 0) {
            stack.push(frame);
            continue;
          }
          const from = this.#index;
          const segment = text.slice(from, leafEnd);
          this.#index = leafEnd + frame.name.length + 3;
          const node = segment.indexOf("&") < 0 ? segment : this.#decode(segment, from);
          const parent = stack[stack.length - 1];
          if (parent === undefined) root = { name: frame.name, node };
          else addChild(parent, frame.name, node);
          continue;
        }
        const node = close(frame);
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = { name: frame.name, node };
        else addChild(parent, frame.name, node);
      }
    }
    const open = stack[stack.length - 1];
    if (open !== undefined) this.#fail(length, `unclosed element <${open.name}>`);
    if (root === undefined) this.#fail(length, "no root element");
    return root;
  }

  /** Reads a start tag at `lt` into its frame; #selfClosing says whether it was an empty-element tag. */
  #startTag(lt: number): Frame {
    const text = this.#text;
    const nameEnd = this.#nameEnd(lt + 1);
    const name = this.#name(lt + 1, nameEnd);
    this.#checkName(name, lt);
    const frame: Frame = { name, text: "", cdata: false, node: undefined };
    const limits = this.#limits;
    let count = 0;
    let at = nameEnd;
    for (;;) {
      const spaced = isSpace(text.charCodeAt(at));
      while (isSpace(text.charCodeAt(at))) at++;
      const code = text.charCodeAt(at);
      if (code === GT) {
        this.#index = at + 1;
        this.#selfClosing = false;
        return frame;
      }
      if (code === SLASH) {
        if (text.charCodeAt(at + 1) !== GT) this.#fail(at, "invalid character in start tag");
        this.#index = at + 2;
        this.#selfClosing = true;
        return frame;
      }
      if (at >= text.length) this.#refuse(lt, "unterminated start tag");
      if (!spaced) this.#fail(at, "invalid character in start tag (attributes need whitespace before them)");
      if (++count > limits.maxAttributes) this.#refuse(at, `an element has more than ${limits.maxAttributes} attributes`);
      const attributeEnd = this.#nameEnd(at);
      const attribute = text.slice(at, attributeEnd);
      this.#checkName(attribute, at);
      at = attributeEnd;
      while (isSpace(text.charCodeAt(at))) at++;
      if (text.charCodeAt(at) !== EQUALS) this.#fail(at, `attribute ${attribute} has no value`);
      at++;
      while (isSpace(text.charCodeAt(at))) at++;
      const quote = text.charCodeAt(at);
      if (quote !== QUOTE && quote !== APOSTROPHE) this.#fail(at, `the value of attribute ${attribute} is not quoted`);
      const closeQuote = text.indexOf(quote === QUOTE ? '"' : "'", at + 1);
      if (closeQuote < 0) this.#fail(at, `unterminated value of attribute ${attribute}`);
      const raw = text.slice(at + 1, closeQuote);
      // In bytes, as the limit is written; a character is at most 3 UTF-8 bytes per UTF-16 unit.
      if (raw.length > limits.maxAttributeBytes || (raw.length * 3 > limits.maxAttributeBytes && Buffer.byteLength(raw) > limits.maxAttributeBytes)) {
        this.#refuse(at, `an attribute value exceeds the limit of ${limits.maxAttributeBytes} bytes`);
      }
      const value = raw.indexOf("&") < 0 ? raw : this.#decode(raw, at + 1);
      at = closeQuote + 1;
      const node = (frame.node ??= {});
      const attributes = (node["@"] ??= {}) as Record<string, string>;
      // As sax: a repeated attribute keeps its first value.
      if (!Object.hasOwn(attributes, attribute)) attributes[attribute] = value;
    }
  }

  /** Where `</name>` starts when only text (no markup) comes before it from #index, else -1. */
  #leafEnd(name: string): number {
    const text = this.#text;
    const lt = text.indexOf("<", this.#index);
    if (lt < 0 || text.charCodeAt(lt + 1) !== SLASH || !text.startsWith(name, lt + 2) || text.charCodeAt(lt + 2 + name.length) !== GT) return -1;
    return lt;
  }

  /** The name at `start` to `end`, as the same string as the last time it was read: keys the engine already knows are cheaper to set and look up. */
  #name(start: number, end: number): string {
    const text = this.#text;
    const length = end - start;
    const slot = (text.charCodeAt(start) * 31 + text.charCodeAt(end - 1) * 7 + length) & (nameCacheSize - 1);
    const cached = nameCache[slot];
    if (cached !== undefined && cached.length === length && text.startsWith(cached, start)) return cached;
    const name = text.slice(start, end);
    nameCache[slot] = name;
    return name;
  }

  /** The end of the name at `start`; fails when there is none. */
  #nameEnd(start: number): number {
    const text = this.#text;
    const first = text.charCodeAt(start);
    if (!(first < 128 ? asciiName[first] === 1 : isNameStart(first))) {
      this.#fail(start, Number.isNaN(first) ? "unexpected end of document" : `invalid name character ${JSON.stringify(text.charAt(start))}`);
    }
    let at = start + 1;
    for (;;) {
      const code = text.charCodeAt(at);
      if (code < 128 ? asciiName[code] === 0 : !isNameBody(code)) return at;
      at++;
    }
  }

  /** Replaces entity and character references in `raw` (found at `offset`). */
  #decode(raw: string, offset: number): string {
    let result = "";
    let from = 0;
    for (let amp = raw.indexOf("&"); amp >= 0; amp = raw.indexOf("&", from)) {
      const semicolon = raw.indexOf(";", amp + 1);
      if (semicolon < 0) this.#fail(offset + amp, "unterminated entity reference (write & as &amp;)");
      const name = raw.slice(amp + 1, semicolon);
      result += raw.slice(from, amp) + this.#entity(name, offset + amp);
      from = semicolon + 1;
    }
    return result + raw.slice(from);
  }

  #entity(name: string, at: number): string {
    // Names as sax reads them: case-insensitively ("&AMP;" is "&").
    const lower = name.toLowerCase();
    const known = predefined[lower];
    if (known !== undefined && Object.hasOwn(predefined, lower)) return known;
    if (name.charCodeAt(0) === HASH) {
      const hex = lower.charCodeAt(1) === 120; /* x */
      const digits = lower.slice(hex ? 2 : 1);
      if ((hex ? /^[0-9a-f]+$/ : /^[0-9]+$/).test(digits)) {
        const code = Number.parseInt(digits, hex ? 16 : 10);
        if (isXmlChar(code)) return String.fromCodePoint(code);
      }
      this.#fail(at, `&${name}; is not a valid character reference`);
    }
    return this.#fail(at, `unknown entity &${name}; (only &amp; &lt; &gt; &quot; &apos; and character references)`);
  }

  /** Names that would reach an object's prototype once they become keys, whatever their prefix. */
  #checkName(name: string, at: number): void {
    const size = name.length;
    if (size < 9) return;
    const colon = name.lastIndexOf(":");
    const local = colon < 0 ? name : name.slice(colon + 1);
    if (forbiddenNames.has(local)) this.#refuse(at, `the XML name "${local}" is not allowed`);
  }

  #skipTo(from: number, terminator: string, what: string, at: number): number {
    const end = this.#text.indexOf(terminator, from);
    if (end < 0) this.#refuse(at, `unterminated ${what}`);
    return end + terminator.length;
  }

  /** Malformed XML. */
  #fail(at: number, reason: string): never {
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, `invalid XML at ${this.#position(at)}: ${reason}`);
  }

  /** Past a safety limit, or markup cut off: worded as the byte scan before this parser worded them ("unterminated start tag (line 1, column 1)"). */
  #refuse(at: number, reason: string): never {
    throw new GatewayError(StatusCode.INVALID_ARGUMENT, `${reason} (${this.#position(at)})`);
  }

  /** "line 3, column 7" of a character offset. */
  #position(at: number): string {
    const text = this.#text;
    let line = 1;
    let lineStart = 0;
    for (let newline = text.indexOf("\n"); newline >= 0 && newline < at; newline = text.indexOf("\n", newline + 1)) {
      line++;
      lineStart = newline + 1;
    }
    return `line ${line}, column ${at - lineStart + 1}`;
  }
}

/** XML's Char production: what a character reference may name. */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** The element as xml2js shapes it: its text alone when it has neither attributes nor children. */
function close(frame: Frame): XmlNode {
  const node = frame.node;
  if (node === undefined) return frame.text;
  if (frame.cdata || !blank.test(frame.text)) node["#"] = frame.text;
  return node;
}

function addChild(parent: Frame, name: string, child: XmlNode): void {
  const node = (parent.node ??= {});
  const list = node[name];
  // One lookup in the common case; a name Object.prototype also has ("toString") is checked as an own property.
  if (list !== undefined && Object.hasOwn(node, name)) (list as XmlNode[]).push(child);
  else node[name] = [child];
}
