import type protobuf from "protobufjs";
import type { FieldInfo } from "./message-info.js";
import type { ProtoJsonMapping } from "./protojson-mapping.js";
import type { BodyShape } from "../core/body-shape.js";

/** A protobuf message (or, for response_body, one field of one) typed by its descriptor. */
export interface MessageShape {
  readonly kind: "message";
  readonly type: protobuf.Type;
  /** The body is this field of `type` rather than the whole message. */
  readonly field: FieldInfo | undefined;
  /** The route's proto JSON mapping (names, unknown fields) and the registry `Any` resolves against. */
  readonly protoJson: ProtoJsonMapping;
}

declare module "../core/body-shape.js" {
  interface BodyShapeKinds {
    readonly message: MessageShape;
  }
}

export function messageShape(type: protobuf.Type, protoJson: ProtoJsonMapping, field?: FieldInfo): MessageShape {
  return { kind: "message", type, field, protoJson };
}

/** A value typed by a whole message, canonicalised through it: checked (the bad field named) and written as proto3 JSON; other values as they are. */
export function canonicalValue(value: unknown, shape: BodyShape | undefined): unknown {
  return shape?.kind === "message" && shape.field === undefined ? shape.protoJson.decode(shape.type, shape.protoJson.encode(shape.type, value)) : value;
}
