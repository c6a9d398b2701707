/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** `schema` or null: how a message field reads, since Rosetta writes an unset message field as null. */
export function nullable(schema: JsonSchema): JsonSchema {
  if (Object.keys(schema).length === 0) return schema;
  const { description, readOnly, writeOnly, ...rest } = schema;
  return dropUndefined({ description, readOnly, writeOnly, anyOf: [rest, { type: "null" }] });
}

/** The schema with `description` set, when there is one. */
export function described(schema: JsonSchema, description: string | undefined): JsonSchema {
  return description === undefined || description === "" ? schema : { ...schema, description };
}

export function dropUndefined(schema: Record<string, unknown>): JsonSchema {
  return Object.fromEntries(Object.entries(schema).filter(([, value]) => value !== undefined));
}
