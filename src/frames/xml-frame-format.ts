import type { XmlCodec } from "../codecs/xml/xml-codec.js";
import { attributesOf, childrenOf, textOf, type XmlDocument, type XmlNode } from "../codecs/xml/xml-node.js";
import { escapeAttribute, escapeText } from "../codecs/xml/xml-text.js";
import { mediaType } from "../core/envelope.js";
import { setOwnProperty } from "../core/own-property.js";
import { GatewayError } from "../core/gateway-error.js";
import { FrameError, type Frame, type FrameBody } from "./frame.js";
import type { FrameFormat, FrameFormatFactory } from "./frame-format.js";
import { checkFrame, isTextMediaType, utf8Text } from "./frame-fields.js";

const simpleFields = ["id", "method", "path", "status", "stream", "end", "cancel"] as const;

/**
 * Frames as XML:
 * `<frame><id>42</id><method>GET</method><path>/v1/x</path><headers><header name="accept">…</header></headers><body>…</body></frame>`.
 * An XML body (the default) is the one element inside `<body>`; another text
 * body is the text of `<body>`; anything else is `<body encoding="base64">`.
 * The frame is read by the XML codec, under its limits.
 */
export function createXmlFrameFormat(xml: XmlCodec): FrameFormat {
  return {
    name: "xml",
    binary: false,
    bodyMediaType: "application/xml",
    decode(bytes) {
      const read = (document: XmlDocument) => readFrame(document, bytes);
      let parsed: XmlDocument | Promise<XmlDocument>;
      try {
        parsed = xml.parse(bytes);
      } catch (error) {
        throw invalid(error);
      }
      return parsed instanceof Promise ? parsed.then(read, (error: unknown) => Promise.reject(invalid(error))) : read(parsed);
    },
    encode(frame) {
      let text = `<frame><id>${escapeText(frame.id)}</id>`;
      if (frame.method !== undefined) text += `<method>${frame.method}</method>`;
      if (frame.path !== undefined) text += `<path>${escapeText(frame.path)}</path>`;
      if (frame.status !== undefined) text += `<status>${frame.status}</status>`;
      if (frame.stream === true) text += "<stream>true</stream>";
      if (frame.end === true) text += "<end>true</end>";
      if (frame.cancel === true) text += "<cancel>true</cancel>";
      const names = Object.keys(frame.headers);
      if (names.length > 0) text += `<headers>${names.map((name) => `<header name="${escapeAttribute(name)}">${escapeText(frame.headers[name]!)}</header>`).join("")}</headers>`;
      if (frame.body !== undefined) text += writeBody(frame.body, frame.headers["content-type"]);
      return Buffer.from(`${text}</frame>`);
    },
  };
}

function invalid(error: unknown): FrameError {
  return new FrameError(`the frame is not valid XML: ${GatewayError.from(error).message}`, undefined);
}

function readFrame(document: XmlDocument, bytes: Uint8Array): Frame {
  if (document.name !== "frame") throw new FrameError(`the root element must be <frame>, not <${document.name}>`, undefined);
  const children = new Map(childrenOf(document.node));
  const fields: Record<string, unknown> = {};
  for (const name of simpleFields) {
    const nodes = children.get(name);
    if (nodes === undefined) continue;
    const text = textOf(nodes[0]!).trim();
    fields[name] = name === "status" ? Number(text) : name === "stream" || name === "end" || name === "cancel" ? text === "true" || text === "1" : text;
  }
  const headers: Record<string, string> = {};
  for (const header of childrenOf(children.get("headers")?.[0] ?? "").find(([name]) => name === "header")?.[1] ?? []) {
    const name = attributesOf(header).name;
    if (name !== undefined) setOwnProperty(headers, name, textOf(header));
  }
  fields.headers = headers;
  const frame = checkFrame(fields, undefined);
  const body = children.get("body")?.[0];
  return body === undefined ? frame : { ...frame, body: readBody(body, bytes, frame) };
}

function readBody(node: XmlNode, bytes: Uint8Array, frame: Frame): FrameBody {
  if (attributesOf(node).encoding === "base64") return { kind: "bytes", bytes: Buffer.from(textOf(node).trim(), "base64") };
  if (childrenOf(node).length === 0) return { kind: "bytes", bytes: Buffer.from(textOf(node)) };
  // The body document as written: other frame fields hold text only, so the first
  // <body> tag and the last </body> delimit it (the XML codec types it later).
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString();
  const open = /<body(\s[^>]*)?>/.exec(text);
  const close = text.lastIndexOf("</body>");
  if (open === null || close < open.index) throw new FrameError("the <body> element cannot be read", frame.id);
  return { kind: "bytes", bytes: Buffer.from(text.slice(open.index + open[0].length, close).trim()) };
}

function writeBody(body: FrameBody, contentType: string | undefined): string {
  if (body.kind === "value") return `<body>${escapeText(JSON.stringify(body.value) ?? "null")}</body>`;
  const text = utf8Text(body.bytes);
  const type = mediaType(contentType);
  if (text !== undefined && (type === undefined || type.endsWith("/xml") || type.endsWith("+xml"))) return `<body>${text.replace(/^<\?xml[^>]*\?>/, "")}</body>`;
  if (text !== undefined && isTextMediaType(contentType)) return `<body>${escapeText(text)}</body>`;
  return `<body encoding="base64">${Buffer.from(body.bytes).toString("base64")}</body>`;
}

export const xmlFrameFormat: FrameFormatFactory = { name: "xml", create: (codecs) => createXmlFrameFormat(codecs.xml) };
