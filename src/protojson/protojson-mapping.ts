import type protobuf from "protobufjs";
import type { ProtoRegistry } from "../protos/proto-registry.js";
import { decodeRaw, encodeRaw } from "./binary.js";
import { jsonToRaw } from "./from-json.js";
import type { JsonContext } from "./json-context.js";
import type { ProtoJsonOptions } from "./protojson-options.js";
import { rawToJson } from "./to-json.js";

/**
 * Canonical value (proto3 JSON shape) ⇄ protobuf bytes, in one pass each way
 * through the raw form; endpoints and schema-aware codecs use it. `Any`
 * resolves its type URL against the registry.
 */
export class ProtoJsonMapping {
  readonly #context: JsonContext;

  private constructor(context: JsonContext) {
    this.#context = context;
  }

  static forRegistry(registry: ProtoRegistry, options: ProtoJsonOptions): ProtoJsonMapping {
    return new ProtoJsonMapping({ options, resolveType: (name) => registry.findType(name) });
  }

  get options(): ProtoJsonOptions {
    return this.#context.options;
  }

  /** A message type of the registry by full name (what `Any` type URLs name). */
  findType(fullName: string): protobuf.Type | undefined {
    return this.#context.resolveType(fullName);
  }

  /** The same registry with other options (a route's override of its service's). */
  withOptions(options: ProtoJsonOptions): ProtoJsonMapping {
    return new ProtoJsonMapping({ ...this.#context, options });
  }

  /** Canonical JSON value → protobuf bytes; throws INVALID_ARGUMENT naming the field. */
  encode(type: protobuf.Type, value: unknown, path = ""): Uint8Array {
    return encodeRaw(type, jsonToRaw(type, value, this.#context, path));
  }

  /** Protobuf bytes → canonical JSON value; malformed bytes or nesting deeper than `maxDepth` throw. */
  decode(type: protobuf.Type, bytes: Uint8Array, maxDepth?: number): unknown {
    return rawToJson(type, decodeRaw(type, bytes, maxDepth), this.#context);
  }
}
