import type protobuf from "protobufjs";
import type { FieldInfo } from "./protojson/message-info.js";
import type { ProtoJsonCodec } from "./protojson/protojson-codec.js";

/**
 * What a body is, when the route knows: codecs that cannot tell a list from a
 * single value or a number from a string on their own (XML, protobuf) use it;
 * JSON ignores it. Built once per route, never per request.
 */
export type BodyShape = MessageShape | DocumentShape;

/** A protobuf message (or, for response_body, one field of one) typed by its descriptor. */
export interface MessageShape {
  readonly kind: "message";
  readonly type: protobuf.Type;
  /** The body is this field of `type` rather than the whole message. */
  readonly field: FieldInfo | undefined;
  /** The route's JSON mapping (names, unknown fields) and the registry `Any` resolves against. */
  readonly codec: ProtoJsonCodec;
}

/** A schema-less document: how to name the XML root, and which elements are lists even with one or no entry. */
export interface DocumentShape {
  readonly kind: "document";
  readonly root: string;
  /** Dotted element paths below the root, e.g. `items` or `order.lines.line`. */
  readonly lists: ReadonlySet<string>;
}

export function messageShape(type: protobuf.Type, codec: ProtoJsonCodec, field?: FieldInfo): MessageShape {
  return { kind: "message", type, field, codec };
}

export function documentShape(root: string, lists: readonly string[] = []): DocumentShape {
  return { kind: "document", root, lists: new Set(lists) };
}

/** The shape of every error body: google.rpc.Status, written `<Status><code>…` in XML. */
export const statusShape: DocumentShape = documentShape("Status", ["details"]);
