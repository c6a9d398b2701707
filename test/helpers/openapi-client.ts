/**
 * A client driven by an OpenAPI document alone: for each operation it builds
 * a request (path parameters, query parameters, a body) from the parameter
 * and body schemas, samples values the way a generated client's example
 * would, and compiles the response schemas with ajv (draft 2020-12, the
 * dialect of OpenAPI 3.1) to check what came back.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { ValidateFunction } from "ajv";

// ajv-formats is CommonJS: its function is the default export under Node's ESM loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

type Schema = Record<string, unknown>;

export interface OperationCall {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  /** The path with parameters filled in and the query string. */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string | undefined;
  /** The first documented success status, and its media types and schemas. */
  readonly successStatus: number;
  readonly responses: Readonly<Record<string, Schema>>;
}

const isObject = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);

export class OpenApiClient {
  readonly #document: Schema;
  readonly #ajv: Ajv2020;

  constructor(document: Schema) {
    this.#document = document;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    for (const format of ["int32", "uint32", "int64", "uint64", "float", "double", "binary", "google-duration", "google-fieldmask"]) this.#ajv.addFormat(format, true);
    this.#ajv.addFormat("byte", /^[A-Za-z0-9+/]*={0,2}$/);
    const components = isObject(document.components) ? document.components : {};
    this.#ajv.addSchema({ $id: "openapi.json", components: this.#rebased(components) });
  }

  /** `#/components/…` refs point into the document; ajv compiles each response schema on its own. */
  #rebased<T>(value: T): T {
    return JSON.parse(JSON.stringify(value).replaceAll('"#/components/', '"openapi.json#/components/')) as T;
  }

  resolve(schema: Schema): Schema {
    const ref = schema.$ref;
    if (typeof ref !== "string") return schema;
    const name = ref.replace("#/components/schemas/", "");
    const schemas = (this.#document.components as { schemas: Record<string, Schema> }).schemas;
    return { ...schemas[name], ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$ref")) };
  }

  validator(schema: Schema): ValidateFunction {
    return this.#ajv.compile(this.#rebased(schema));
  }

  errors(validate: ValidateFunction): string {
    return this.#ajv.errorsText(validate.errors);
  }

  /** Every operation of the document, each with a request built from its schemas. */
  calls(): OperationCall[] {
    const calls: OperationCall[] = [];
    for (const [path, item] of Object.entries(this.#document.paths as Record<string, Record<string, Schema>>)) {
      for (const [method, operation] of Object.entries(item)) calls.push(this.#call(path, method.toUpperCase(), operation));
    }
    return calls;
  }

  #call(path: string, method: string, operation: Schema): OperationCall {
    let url = path;
    const query = new URLSearchParams();
    for (const parameter of (operation.parameters ?? []) as Schema[]) {
      const schema = parameter.schema as Schema;
      const value = this.sample(schema, 0);
      if (parameter.in === "path") {
        // Slashes of a multi-segment value go as they are (the document says so); each segment is encoded.
        const text = String(value).split("/").map(encodeURIComponent).join("/");
        url = url.replace(`{${String(parameter.name)}}`, text);
      } else if (Array.isArray(value)) {
        for (const element of value) query.append(String(parameter.name), String(element));
      } else if (value !== null && value !== undefined) {
        query.append(String(parameter.name), String(value));
      }
    }
    const search = query.toString();
    let contentType: string | undefined;
    let body: string | undefined;
    const requestBody = operation.requestBody as Schema | undefined;
    if (requestBody !== undefined) {
      const [type, media] = Object.entries(requestBody.content as Record<string, Schema>)[0]!;
      const schema = media.schema as Schema;
      if (type === "application/x-ndjson") {
        contentType = type;
        body = `${JSON.stringify(this.sample(schema, 0))}\n${JSON.stringify(this.sample(schema, 0))}\n`;
      } else if (type === "*/*") {
        contentType = "text/plain";
        body = "raw bytes";
      } else {
        contentType = type;
        body = JSON.stringify(this.sample(schema, 0));
      }
    }
    const responses = operation.responses as Record<string, Schema>;
    const successStatus = Number(Object.keys(responses).find((status) => status !== "default"));
    const success = responses[String(successStatus)]!;
    const content = (success.content ?? {}) as Record<string, Schema>;
    return {
      operationId: String(operation.operationId),
      method,
      path,
      url: search === "" ? url : `${url}?${search}`,
      contentType,
      body,
      successStatus,
      responses: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, media.schema as Schema])),
    };
  }

  /** A value the schema accepts: examples first, then by format, pattern, enum and type; read-only fields left out. */
  sample(input: Schema, depth: number): unknown {
    const schema = this.resolve(input);
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
    if (Array.isArray(schema.anyOf)) {
      const branches = schema.anyOf as Schema[];
      const nonNull = branches.find((branch) => branch.type !== "null");
      return nonNull === undefined || (depth > 3 && branches.some((branch) => branch.type === "null")) ? null : this.sample(nonNull, depth);
    }
    if (Array.isArray(schema.enum)) return schema.enum[schema.enum.length > 1 ? 1 : 0];
    switch (schema.type) {
      case "null":
        return null;
      case "boolean":
        return true;
      case "integer":
        return 3;
      case "number":
        return 1.5;
      case "string":
        return sampleString(schema);
      case "array":
        return depth > 3 ? [] : [this.sample(schema.items as Schema, depth + 1)];
      case "object":
        return this.#sampleObject(schema, depth);
      default:
        return "any";
    }
  }

  #sampleObject(schema: Schema, depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
      if (property.readOnly === true) continue;
      if (key === "@type") {
        result[key] = "type.googleapis.com/google.protobuf.Duration";
        result.value = "1.5s";
        continue;
      }
      result[key] = this.sample(property, depth + 1);
    }
    // A oneof: keep the first of each pair that may not appear together.
    for (const constraint of (schema.allOf ?? []) as Schema[]) {
      const pairs = ((constraint.not as Schema | undefined)?.anyOf ?? []) as Schema[];
      for (const pair of pairs) {
        const [first, second] = pair.required as string[];
        if (first !== undefined && second !== undefined && first in result && second in result) delete result[second];
      }
    }
    if (isObject(schema.additionalProperties) && Object.keys(result).length === 0 && depth <= 3) {
      const names = schema.propertyNames as Schema | undefined;
      const key = Array.isArray(names?.enum) ? String(names.enum[0]) : names?.pattern !== undefined ? "7" : "key";
      result[key] = this.sample(schema.additionalProperties, depth + 1);
    } else if (schema.additionalProperties === true && Object.keys(result).length === 0) {
      result.key = "value";
    }
    return result;
  }
}

function sampleString(schema: Schema): string {
  switch (schema.format) {
    case "int64":
      return "-9007199254740993";
    case "uint64":
      return "18446744073709551615";
    case "date-time":
      return "2024-01-15T10:30:00.250Z";
    case "byte":
      return Buffer.from("bytes").toString("base64");
    case "google-duration":
      return "1.5s";
    case "google-fieldmask":
      return "title";
    default:
      break;
  }
  if (typeof schema.pattern === "string") {
    // Enough of the regular-expression language for path patterns: literals, [^/]+ and .+
    return schema.pattern
      .replace(/^\^|\$$/g, "")
      .replaceAll("[^/]+", "x1")
      .replaceAll(".+", "x2/y2")
      .replace(/\\(.)/g, "$1");
  }
  return "text";
}
