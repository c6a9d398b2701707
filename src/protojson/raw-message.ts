/**
 * The in-between form of a message: field values by proto field name, typed
 * the way the wire has them. 64-bit integers are decimal strings (no
 * precision is ever lost), bytes are Uint8Array, enums are numbers, maps are
 * [key, value] pairs with typed keys. Binary and JSON both convert to and
 * from this form, so each mapping rule is written once.
 */
export type RawScalar = number | boolean | string | Uint8Array;
export type RawValue = RawScalar | RawMessage | RawValue[] | RawMapEntry[];
export type RawMapEntry = readonly [key: RawScalar, value: RawValue];

export interface RawMessage {
  [protoName: string]: RawValue;
}

export function createRawMessage(): RawMessage {
  return Object.create(null) as RawMessage;
}
