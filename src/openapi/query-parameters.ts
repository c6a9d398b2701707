import type protobuf from "protobufjs";
import { messageInfo, type FieldInfo } from "../protojson/message-info.js";
import { commentOf, fieldBehaviors } from "./field-behavior.js";
import { dropUndefined, type JsonSchema } from "./json-schema.js";
import type { ExcludedPaths, MessageSchemas, SchemaNaming } from "./message-schemas.js";
import { scalarSchemas, wellKnownSchemas } from "./well-known-schemas.js";
import { wrapperTypes } from "../protojson/well-known-to-json.js";

/** An OpenAPI Parameter Object (name, in, required, schema, style, explode) as plain data. */
export type Parameter = JsonSchema;

/** Well-known types that have a one-string form, so they can be query parameters. */
const stringForms: ReadonlySet<string> = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask", ...wrapperTypes]);

/** Nested messages deeper than this are not listed (a recursive message would never end). */
const maxDepth = 5;

/**
 * The query parameters of a binding, as src/protojson/request-message.ts
 * reads them: every field not bound to the path or the body, by dotted path
 * through nested messages; repeated fields by repeating the key (form,
 * exploded); enums by name. Maps and Struct/Value/Any have no query form
 * here (Rosetta reads `map[key]=v`, which OpenAPI cannot name) and are left out.
 */
export function queryParameters(type: protobuf.Type, naming: SchemaNaming, excluded: ExcludedPaths, schemas: MessageSchemas): Parameter[] {
  const parameters: Parameter[] = [];
  const visit = (current: protobuf.Type, prefix: string, skip: ExcludedPaths, chain: ReadonlySet<protobuf.Type>) => {
    for (const field of messageInfo(current).fields) {
      if (skip.some((path) => path.length === 1 && path[0] === field.protoName)) continue;
      const name = `${prefix}${naming.useProtoNames ? field.protoName : field.jsonName}`;
      if (field.map) continue;
      const nested = field.messageType;
      if (nested !== undefined && !stringForms.has(nested.fullName.slice(1))) {
        if (field.repeated || wellKnownSchemas[nested.fullName.slice(1)] !== undefined || chain.has(nested) || chain.size >= maxDepth) continue;
        const below = skip.filter((path) => path.length > 1 && path[0] === field.protoName).map((path) => path.slice(1));
        visit(nested, `${name}.`, below, new Set([...chain, nested]));
        continue;
      }
      const single = valueSchema(field, schemas, naming);
      parameters.push(
        dropUndefined({
          name,
          in: "query",
          required: prefix === "" && fieldBehaviors(field.field).has("REQUIRED"),
          description: commentOf(field.field),
          schema: field.repeated ? { type: "array", items: single } : single,
          style: field.repeated ? "form" : undefined,
          explode: field.repeated ? true : undefined,
        }),
      );
    }
  };
  visit(type, "", excluded, new Set([type]));
  return parameters;
}

/** One value of a field as text in a URL: enums by name (numbers are accepted too), the rest as in JSON. */
export function valueSchema(field: FieldInfo, schemas: MessageSchemas, naming: SchemaNaming): JsonSchema {
  if (field.enumType !== undefined)
    return field.enumType.fullName === ".google.protobuf.NullValue" ? { type: "string", enum: ["NULL_VALUE"] } : { type: "string", enum: Object.keys(field.enumType.values) };
  if (field.messageType !== undefined) return schemas.message(field.messageType, naming);
  return scalarSchemas[field.scalar ?? "string"] ?? {};
}
