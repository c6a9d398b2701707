import { Registry } from "../core/registry.js";
import type { Codec } from "./codec.js";
import { isXmlCodec, type XmlCodec } from "./xml/xml-codec.js";

/** Codecs by name and media type; the codec step (codec-step.ts) negotiates over them. */
export class CodecRegistry {
  readonly #byMediaType = new Registry<Codec>("media type");
  readonly #byName = new Registry<Codec>("codec");
  /** JSON: the fallback reply format, and what stream messages and JSON frames carry. */
  readonly json: Codec;
  /** XML with the parts SOAP and XML frames build on (parse, toValue, toXml). */
  readonly xml: XmlCodec;

  /** Throws at start-up when "json", or an XmlCodec named "xml", is missing: the gateway relies on both. */
  constructor(codecs: readonly Codec[]) {
    for (const codec of codecs) {
      this.#byName.register(codec.name, codec);
      for (const mediaType of codec.mediaTypes) this.#byMediaType.register(mediaType, codec);
    }
    this.json = this.#byName.get("json");
    const xml = this.#byName.get("xml");
    if (!isXmlCodec(xml)) throw new Error('the codec registered as "xml" must be an XmlCodec (parse, toValue, toXml)');
    this.xml = xml;
  }

  async close(): Promise<void> {
    await Promise.all(this.#byName.keys().map((name) => this.#byName.get(name).close?.()));
  }

  /** A codec by a name the config gave (checked against the registry when the config was loaded). */
  get(name: string): Codec {
    return this.#byName.get(name);
  }

  find(name: string): Codec | undefined {
    return this.#byName.find(name);
  }

  /** The codec for a request body's media type (no parameters, lower case), if one is registered. */
  forMediaType(mediaType: string): Codec | undefined {
    return this.#byMediaType.find(mediaType);
  }

  /** The first codec the caller names in Accept (in its order; q=0 excluded), if it names one explicitly. */
  accepted(accept: string | undefined): Codec | undefined {
    if (accept === undefined || accept === "" || accept === "*/*") return undefined;
    for (const part of accept.split(",")) {
      const [rawType, ...parameters] = part.split(";");
      if (parameters.some((parameter) => /^\s*q=0(\.0*)?\s*$/.test(parameter))) continue;
      const codec = this.#byMediaType.find(rawType!.trim().toLowerCase());
      if (codec !== undefined) return codec;
    }
    return undefined;
  }
}
