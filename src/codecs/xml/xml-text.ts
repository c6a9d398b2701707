import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";

// Characters that need work: markup, CR (parsers turn it into LF), and anything XML 1.0 cannot carry.
const needsWork = /[&<>\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;
const needsAttributeWork = /[&<"\t\n\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;
const forbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Element names Rosetta writes: letters, digits, `_`, `-`, `.`; not starting with a digit, `-` or `.`. */
const xmlName = /^[\p{L}_][\p{L}\p{N}_.-]*$/u;

export function isXmlName(name: string): boolean {
  return xmlName.test(name);
}

function unrepresentable(text: string): GatewayError {
  const char = forbidden.exec(text)![0];
  const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return new GatewayError(StatusCode.INVALID_ARGUMENT, `the text ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} holds U+${code}, which XML 1.0 cannot carry`);
}

/**
 * No character of `needsWork`: a loop over the code units, cheaper than the
 * regular expression on the short texts most fields hold.
 */
function isPlainText(text: string): boolean {
  if (text.length > 64) return !needsWork.test(text);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 ? code !== 9 && code !== 10 : code === 38 || code === 60 || code === 62 || (code >= 0xd800 && (code <= 0xdfff || code >= 0xfffe))) return false;
  }
  return true;
}

/** Element text: `&`, `<`, `>` escaped, CR as a character reference so it survives the reader's line-end normalisation. */
export function escapeText(text: string): string {
  if (isPlainText(text)) return text;
  if (forbidden.test(text)) throw unrepresentable(text);
  return text.replace(/[&<>\r]/g, (char) => (char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : "&#13;"));
}

/** A double-quoted attribute value: whitespace other than space as references, since readers normalise it to spaces. */
export function escapeAttribute(text: string): string {
  if (!needsAttributeWork.test(text)) return text;
  if (forbidden.test(text)) throw unrepresentable(text);
  return text.replace(/[&<"\t\n\r]/g, (char) => {
    switch (char) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case '"':
        return "&quot;";
      case "\t":
        return "&#9;";
      case "\n":
        return "&#10;";
      default:
        return "&#13;";
    }
  });
}
