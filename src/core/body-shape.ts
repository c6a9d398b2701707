/**
 * What a body is, when the route knows: codecs that cannot tell a list from a
 * single value or a number from a string on their own (XML, protobuf) use it;
 * JSON ignores it. Built once per route, never per request. Core knows the
 * schema-less document shape; src/protojson/message-shape.ts adds the
 * protobuf message shape to `BodyShapeKinds` by declaration merging, so core
 * imports nothing and codecs still narrow on `kind`.
 */
export interface BodyShapeKinds {
  readonly document: DocumentShape;
}

export type BodyShape = BodyShapeKinds[keyof BodyShapeKinds];

/** A schema-less document: how to name the XML root, and which elements are lists even with one or no entry. */
export interface DocumentShape {
  readonly kind: "document";
  readonly root: string;
  /** Dotted element paths below the root, e.g. `items` or `order.lines.line`. */
  readonly lists: ReadonlySet<string>;
}

export function documentShape(root: string, lists: readonly string[] = []): DocumentShape {
  return { kind: "document", root, lists: new Set(lists) };
}

/** The shape of every error body: google.rpc.Status, written `<Status><code>…` in XML. */
export const statusShape: DocumentShape = documentShape("Status", ["details"]);
