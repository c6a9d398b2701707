import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { FieldViolation } from "./proto-rules.js";

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv | Ajv2020) => void;

/** Checks a decoded body, returning every violation (empty when it conforms). */
export type JsonSchemaCheck = (value: unknown) => FieldViolation[];

/**
 * Compiles a JSON Schema file once (draft 2020-12 when its `$schema` says so,
 * else draft-07, ajv's default), with `allErrors` so the caller learns every
 * bad field at once. Throws an Error with the reason when the file cannot be
 * read or is not a schema.
 */
export function compileJsonSchema(file: string): JsonSchemaCheck {
  const schema = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const options = { allErrors: true, strict: false };
  const ajv = typeof schema.$schema === "string" && schema.$schema.includes("2020-12") ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => {
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => {
      let field = pointerToPath(error.instancePath);
      // A missing property is reported at its parent; name the property itself.
      if (error.keyword === "required") field = joinPath(field, String((error.params as { missingProperty: string }).missingProperty));
      return { field, description: error.message ?? error.keyword };
    });
  };
}

/** `/items/0/name` → `items[0].name`. */
function pointerToPath(pointer: string): string {
  let path = "";
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    path = /^\d+$/.test(segment) ? `${path}[${segment}]` : joinPath(path, segment);
  }
  return path;
}

const joinPath = (path: string, name: string) => (path === "" ? name : `${path}.${name}`);
