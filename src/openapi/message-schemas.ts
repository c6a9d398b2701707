import type protobuf from "protobufjs";
import { messageInfo, type FieldInfo } from "../protojson/message-info.js";
import type { ProtoJsonOptions } from "../protojson/protojson-options.js";
import { commentOf, fieldBehaviors } from "./field-behavior.js";
import { described, dropUndefined, nullable, type JsonSchema } from "./json-schema.js";
import { scalarSchemas, wellKnownSchemas } from "./well-known-schemas.js";

/** What changes a message's JSON form: the names it is written with and how enums are written. */
export type SchemaNaming = Pick<ProtoJsonOptions, "useProtoNames" | "enumsAsNumbers">;

/** Field paths (proto names, split at dots) left out of a schema: the ones a route binds to its path. */
export type ExcludedPaths = readonly (readonly string[])[];

const fullName = (reflection: protobuf.ReflectionObject) => reflection.fullName.replace(/^\./, "");

/**
 * Proto messages and enums as JSON Schemas of their proto3 JSON form, the
 * form Rosetta reads and writes: one component per message and enum (per
 * naming, when a route writes proto names or enum numbers), referenced by
 * `$ref`, so recursive messages are finite. The well-known types are inline.
 */
export class MessageSchemas {
  readonly components: Record<string, JsonSchema> = {};

  /** The schema of a message as a `$ref` (or the well-known type's own form). */
  message(type: protobuf.Type, naming: SchemaNaming): JsonSchema {
    const name = fullName(type);
    const wellKnown = wellKnownSchemas[name];
    if (wellKnown !== undefined) return wellKnown;
    const key = componentKey(name, naming);
    if (!(key in this.components)) {
      // Registered before its fields are written, so a field of its own type finds it.
      this.components[key] = {};
      this.components[key] = this.inline(type, naming, []);
    }
    return { $ref: `#/components/schemas/${key}` };
  }

  /** A message written out, leaving out the excluded field paths (fields bound to the path are not in the body). */
  inline(type: protobuf.Type, naming: SchemaNaming, excluded: ExcludedPaths): JsonSchema {
    const name = fullName(type);
    const wellKnown = wellKnownSchemas[name];
    if (wellKnown !== undefined) return wellKnown;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const oneofs = new Map<string, string[]>();
    for (const field of messageInfo(type).fields) {
      if (excluded.some((path) => path.length === 1 && path[0] === field.protoName)) continue;
      const key = naming.useProtoNames ? field.protoName : field.jsonName;
      const nested = excluded.filter((path) => path.length > 1 && path[0] === field.protoName).map((path) => path.slice(1));
      const schema =
        nested.length > 0 && field.messageType !== undefined && !field.repeated && !field.map
          ? this.#described(field, nullable(this.inline(field.messageType, naming, nested)))
          : this.field(field, naming);
      properties[key] = schema;
      if (fieldBehaviors(field.field).has("REQUIRED")) required.push(key);
      if (field.oneof !== undefined) oneofs.set(field.oneof, [...(oneofs.get(field.oneof) ?? []), key]);
    }
    const exclusive = [...oneofs.entries()].filter(([, members]) => members.length > 1);
    const notes = exclusive.map(([oneof, members]) => `\`${oneof}\`: at most one of ${members.map((member) => `\`${member}\``).join(", ")}`);
    const description = [commentOf(type), ...notes].filter((text) => text !== undefined).join("\n\n");
    const constraints = exclusive.map(([, members]) => ({ not: { anyOf: pairs(members).map((pair) => ({ required: pair })) } }));
    return dropUndefined({
      type: "object",
      title: name,
      description: description === "" ? undefined : description,
      properties,
      required: required.length > 0 ? required : undefined,
      allOf: constraints.length > 0 ? constraints : undefined,
    });
  }

  /** One field as it appears in its message's JSON: lists, maps, and message fields that may be null. */
  field(field: FieldInfo, naming: SchemaNaming): JsonSchema {
    let schema: JsonSchema;
    if (field.map) {
      const keyNames =
        field.mapKey === "bool"
          ? { enum: ["true", "false"] }
          : field.mapKey === "string"
            ? undefined
            : { pattern: field.mapKey?.startsWith("u") || field.mapKey?.startsWith("fixed") ? "^[0-9]+$" : "^-?[0-9]+$" };
      schema = dropUndefined({ type: "object", propertyNames: keyNames, additionalProperties: this.single(field, naming) });
    } else if (field.repeated) {
      schema = { type: "array", items: this.single(field, naming) };
    } else {
      schema = this.single(field, naming);
      if (field.kind === "message") schema = nullable(schema);
    }
    return this.#described(field, schema);
  }

  /** One value of the field's type. */
  single(field: FieldInfo, naming: SchemaNaming): JsonSchema {
    if (field.messageType !== undefined) return this.message(field.messageType, naming);
    if (field.enumType !== undefined) return this.enum(field.enumType, naming);
    return scalarSchemas[field.scalar ?? "string"] ?? {};
  }

  enum(type: protobuf.Enum, naming: SchemaNaming): JsonSchema {
    const name = fullName(type);
    if (name === "google.protobuf.NullValue") return { type: "null" };
    const key = `${name}${naming.enumsAsNumbers ? "_numbers" : ""}`;
    if (!(key in this.components)) {
      const valueNotes = Object.entries(type.comments)
        .filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1].trim() !== "")
        .map(([value, comment]) => `- \`${value}\`: ${comment.trim()}`);
      const description = [commentOf(type), valueNotes.join("\n")].filter((text) => text !== undefined && text !== "").join("\n\n");
      this.components[key] = dropUndefined({
        title: name,
        description: description === "" ? undefined : description,
        ...(naming.enumsAsNumbers ? { type: "integer", enum: [...new Set(Object.values(type.values))] } : { type: "string", enum: Object.keys(type.values) }),
      });
    }
    return { $ref: `#/components/schemas/${key}` };
  }

  #described(field: FieldInfo, schema: JsonSchema): JsonSchema {
    const behaviors = fieldBehaviors(field.field);
    return dropUndefined({
      ...described(schema, commentOf(field.field)),
      readOnly: behaviors.has("OUTPUT_ONLY") ? true : undefined,
      writeOnly: behaviors.has("INPUT_ONLY") ? true : undefined,
    });
  }
}

/** `pkg.Message`, with a suffix for each naming that changes its JSON form. */
function componentKey(name: string, naming: SchemaNaming): string {
  return `${name}${naming.useProtoNames ? "_proto_names" : ""}${naming.enumsAsNumbers ? "_enum_numbers" : ""}`;
}

function pairs(members: readonly string[]): string[][] {
  return members.flatMap((first, index) => members.slice(index + 1).map((second) => [first, second]));
}
