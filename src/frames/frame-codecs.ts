import type { CodecRegistry } from "../codecs/codec-registry.js";
import type { XmlCodec } from "../codecs/xml/xml-codec.js";
import { Registry } from "../core/registry.js";
import type { FrameCodec } from "./frame-codec.js";
import { createJsonFrameCodec } from "./json-frame-codec.js";
import { createProtobufFrameCodec } from "./protobuf-frame-codec.js";
import { createXmlFrameCodec } from "./xml-frame-codec.js";

type FrameCodecFactory = (codecs: CodecRegistry, maxFrameBytes: number) => FrameCodec;

/** The frame formats, by the name a listener or TCP service names in `codec`. */
export const frameCodecs = new Registry<FrameCodecFactory>("frame codec");
frameCodecs.register("json", (codecs) => createJsonFrameCodec(codecs.byName("json")));
frameCodecs.register("xml", (codecs) => createXmlFrameCodec(codecs.byName("xml") as XmlCodec));
frameCodecs.register("protobuf", (_codecs, maxFrameBytes) => createProtobufFrameCodec(maxFrameBytes));

/** NDJSON frames are JSON by definition: an XML or protobuf frame may hold a newline. Undefined when the pair works. */
export function ndjsonCodecProblem(framing: string, codec: string): string | undefined {
  return framing === "ndjson" && codec !== "json" ? `framing "ndjson" carries JSON frames only; use framing: length-prefixed for codec "${codec}"` : undefined;
}
