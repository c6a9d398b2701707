import type protobuf from "protobufjs";
import type { ProtoRegistry } from "../protos/proto-registry.js";
import { decodeRaw, encodeRaw } from "./binary.js";
import { jsonToRaw } from "./from-json.js";
import type { JsonContext } from "./json-context.js";
import type { ProtoJsonOptions } from "./protojson-options.js";
import { rawToJson } from "./to-json.js";
import { compileReader, type CompiledReader } from "./compiled-reader.js";
import { defaultMaxDepth } from "./wire-reader.js";

/**
 * Canonical value (proto3 JSON shape) ⇄ protobuf bytes, in one pass each way
 * through the raw form; endpoints and schema-aware codecs use it. `Any`
 * resolves its type URL against the registry.
 */
export class ProtoJsonMapping {
  readonly #context: JsonContext;
  /** Readers compiled per message type, for this mapping's options; null where the generic path serves (well-known types). */
  readonly #readers = new Map<protobuf.Type, CompiledReader | null>();

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

  /**
   * Protobuf bytes → canonical JSON value; malformed bytes or nesting deeper
   * than `maxDepth` throw. The type's compiled reader answers; where it gives
   * up (bad bytes, a message field sent twice) the generic path answers, or
   * throws the precise error.
   */
  decode(type: protobuf.Type, bytes: Uint8Array, maxDepth = defaultMaxDepth): unknown {
    const compiled = this.reader(type);
    if (compiled !== undefined) {
      try {
        return compiled(bytes, maxDepth);
      } catch {
        // The generic path below says what is wrong, or reads what the fast path does not (merges).
      }
    }
    return this.decodeGeneric(type, bytes, maxDepth);
  }

  /** The generic decoder (raw message, then JSON): the reference the compiled readers are tested against. */
  decodeGeneric(type: protobuf.Type, bytes: Uint8Array, maxDepth = defaultMaxDepth): unknown {
    return rawToJson(type, decodeRaw(type, bytes, maxDepth), this.#context);
  }

  /** The compiled reader of `type`, built on first use (routes ask for theirs when they are built). */
  reader(type: protobuf.Type): CompiledReader | undefined {
    let compiled = this.#readers.get(type);
    if (compiled === undefined) {
      compiled = compileReader(type, this.#context) ?? null;
      this.#readers.set(type, compiled);
    }
    return compiled ?? undefined;
  }
}
