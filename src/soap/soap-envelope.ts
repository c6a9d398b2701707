import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { attributesOf, childrenOf, localName, prefixOf, type XmlDocument, type XmlNode } from "../codecs/xml/xml-node.js";
import { SoapProtocolError } from "./soap-protocol-error.js";
import { soapVersionOfNamespace, type SoapVersion } from "./soap-version.js";

/** One child element: its qualified name and node. */
export interface SoapPart {
  readonly name: string;
  readonly node: XmlNode;
}

export interface SoapEnvelope {
  readonly version: SoapVersion;
  /** Header blocks marked mustUnderstand (Rosetta understands none). */
  readonly mustUnderstand: readonly string[];
  /** The Body's first element: the operation wrapper, or a Fault. */
  readonly body: SoapPart | undefined;
  readonly isFault: boolean;
}

const declaration = '<?xml version="1.0" encoding="UTF-8"?>';

/** `<soap:Envelope><soap:Body>…</soap:Body></soap:Envelope>` around one element. */
export function writeEnvelope(version: SoapVersion, bodyXml: string): Buffer {
  return Buffer.from(`${declaration}<soap:Envelope xmlns:soap="${version.envelopeNamespace}"><soap:Body>${bodyXml}</soap:Body></soap:Envelope>`);
}

/**
 * Reads an envelope: its version from the namespace of the root element,
 * the header blocks that demand understanding, and the Body's element.
 * Namespace prefixes are resolved from the declarations on the Envelope,
 * Header and Body elements (where SOAP toolkits put them).
 */
export function readEnvelope(document: XmlDocument): SoapEnvelope {
  const namespaces = declarations(document.node, new Map());
  const envelopeNamespace = namespaces.get(prefixOf(document.name) ?? "");
  if (localName(document.name) !== "Envelope") throw new GatewayError(StatusCode.INVALID_ARGUMENT, `expected a SOAP Envelope, found <${document.name}>`);
  const version = soapVersionOfNamespace(envelopeNamespace);
  if (version === undefined) {
    throw new SoapProtocolError("VersionMismatch", `the Envelope namespace "${envelopeNamespace ?? ""}" is neither SOAP 1.1 nor SOAP 1.2`);
  }
  const inEnvelope = (name: string, scope: Map<string, string>) => scope.get(prefixOf(name) ?? "") === version.envelopeNamespace;
  let body: SoapPart | undefined;
  let isFault = false;
  const mustUnderstand: string[] = [];
  for (const [name, elements] of childrenOf(document.node)) {
    const scope = declarations(elements[0]!, namespaces);
    if (localName(name) === "Header" && inEnvelope(name, scope)) {
      for (const [blockName, blocks] of childrenOf(elements[0]!)) {
        for (const block of blocks) if (demandsUnderstanding(block)) mustUnderstand.push(localName(blockName));
      }
    } else if (localName(name) === "Body" && inEnvelope(name, scope)) {
      const first = childrenOf(elements[0]!)[0];
      if (first !== undefined) {
        body = { name: first[0], node: first[1][0]! };
        isFault = localName(first[0]) === "Fault" && inEnvelope(first[0], declarations(first[1][0]!, scope));
      }
    }
  }
  return { version, mustUnderstand, body, isFault };
}

function declarations(node: XmlNode, parent: ReadonlyMap<string, string>): Map<string, string> {
  const scope = new Map(parent);
  const attributes = attributesOf(node);
  for (const name in attributes) {
    if (name === "xmlns") scope.set("", attributes[name]!);
    else if (name.startsWith("xmlns:")) scope.set(name.slice(6), attributes[name]!);
  }
  return scope;
}

function demandsUnderstanding(block: XmlNode): boolean {
  const attributes = attributesOf(block);
  for (const name in attributes) if (localName(name) === "mustUnderstand" && (attributes[name] === "1" || attributes[name] === "true")) return true;
  return false;
}
