import { byteSize, integer, object, withDefault, type Infer } from "../../options/schema.js";

/**
 * XML limits, checked by the parser as it reads (xml2js, used before, had
 * none of its own: a 50 MiB attribute took 9.7 s and 1.7 GB of heap).
 */
export const xmlCodecOptionsSchema = object(
  {
    maxBytes: withDefault(byteSize({ min: 16 }), 1024 * 1024, "largest XML document decoded; larger bodies get 413"),
    maxDepth: withDefault(integer({ min: 1, max: 10_000 }), 64, "deepest element nesting accepted"),
    maxElements: withDefault(integer({ min: 1 }), 100_000, "most elements in one document"),
    maxAttributes: withDefault(integer({ min: 0, max: 10_000 }), 64, "most attributes on one element"),
    maxAttributeBytes: withDefault(byteSize({ min: 1 }), 64 * 1024, "longest attribute value"),
    offloadAbove: withDefault(byteSize(), 64 * 1024, "documents at least this big are parsed on a worker thread so one big body never stalls other requests; 0 parses everything on a worker"),
    workers: withDefault(integer({ min: 0, max: 64 }), 1, "worker threads for big documents; 0 parses everything on the main thread"),
  },
  "XML codec options",
);

export type XmlCodecOptions = Infer<typeof xmlCodecOptionsSchema>;
