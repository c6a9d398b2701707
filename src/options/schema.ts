import { suggest } from "../core/did-you-mean.js";
import { ConfigErrorCode, type ConfigProblem } from "./error-codes.js";
import { parseByteSize, parseDuration } from "./duration.js";

/**
 * A small schema toolkit for config. Every plugin declares its options with
 * it; parsing collects every problem with its path instead of stopping at the
 * first, fills defaults and freezes the result, so nothing downstream needs to
 * re-check a value.
 */
export const INVALID: unique symbol = Symbol("invalid");
export type Parsed<T> = T | typeof INVALID;

/** The extension kinds whose names an option may take, as registered in the gateway's plugins. */
export type RegisteredKind = "codec" | "frame format";

/** The names registered for a kind; the gateway passes its registries' keys. */
export type RegisteredNames = (kind: RegisteredKind) => readonly string[];

const noNames: RegisteredNames = () => [];

export class ParseContext {
  constructor(
    readonly problems: ConfigProblem[] = [],
    readonly path = "",
    readonly names: RegisteredNames = noNames,
  ) {}

  at(key: string | number): ParseContext {
    const segment = typeof key === "number" ? `[${key}]` : this.path === "" ? key : `.${key}`;
    return new ParseContext(this.problems, this.path + segment, this.names);
  }

  report(code: ConfigErrorCode, message: string): typeof INVALID {
    this.problems.push({ code, path: this.path, message });
    return INVALID;
  }
}

export interface Schema<T> {
  /** How the README and error messages name the expected value: "duration", "list of string". */
  readonly typeName: string;
  parse(input: unknown, context: ParseContext): Parsed<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describeValue(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  return `${typeof input} ${JSON.stringify(input)}`;
}

function typeError(context: ParseContext, expected: string, input: unknown): typeof INVALID {
  return context.report(ConfigErrorCode.TYPE, `expected ${expected}, got ${describeValue(input)}`);
}

export interface StringOptions {
  readonly pattern?: RegExp;
  /** Said in the error when the pattern does not match. */
  readonly patternHint?: string;
}

export function string(options: StringOptions = {}): Schema<string> {
  const { pattern, patternHint } = options;
  return {
    typeName: "string",
    parse(input, context) {
      if (typeof input !== "string") return typeError(context, "a string", input);
      if (pattern !== undefined && !pattern.test(input)) {
        return context.report(ConfigErrorCode.VALUE, `"${input}" is not ${patternHint ?? `matching ${pattern}`}`);
      }
      return input;
    },
  };
}

function notAllowed(context: ParseContext, input: string, allowed: readonly string[]): typeof INVALID {
  const hint = suggest(input, allowed);
  const tail = hint === undefined ? ` (one of: ${allowed.join(", ")})` : ` (did you mean "${hint}"?)`;
  return context.report(ConfigErrorCode.VALUE, `"${input}" is not allowed${tail}`);
}

/** One of a fixed list of strings, typed as their union. */
export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  return {
    typeName: values.map((value) => `"${value}"`).join(" | "),
    parse(input, context) {
      if (typeof input !== "string") return typeError(context, "a string", input);
      return values.find((value) => value === input) ?? notAllowed(context, input, values);
    },
  };
}

/**
 * The name of a registered codec or frame format, checked against the
 * gateway's registries at parse time: registering one in plugins.ts makes
 * it valid in every option that takes that kind. `also` adds names that are
 * not in the registry (an HTTP upstream's `soap`).
 */
export function registered(kind: RegisteredKind, options: { readonly also?: readonly string[] } = {}): Schema<string> {
  const also = options.also ?? [];
  return {
    typeName: `${kind} name`,
    parse(input, context) {
      if (typeof input !== "string") return typeError(context, "a string", input);
      const allowed = [...context.names(kind), ...also];
      return allowed.includes(input) ? input : notAllowed(context, input, allowed);
    },
  };
}

export function integer(options: { readonly min?: number; readonly max?: number } = {}): Schema<number> {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  return {
    typeName: "integer",
    parse(input, context) {
      if (typeof input !== "number" || !Number.isInteger(input)) return typeError(context, "an integer", input);
      if (input < min || input > max) return context.report(ConfigErrorCode.VALUE, `${input} is outside ${min}..${max}`);
      return input;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    typeName: "boolean",
    parse: (input, context) => (typeof input === "boolean" ? input : typeError(context, "true or false", input)),
  };
}

/** A duration string with a unit (`250ms`, `2s`, `1m`, `1h`), parsed to milliseconds. */
export function duration(options: { readonly min?: number } = {}): Schema<number> {
  const min = options.min ?? 0;
  return {
    typeName: "duration",
    parse(input, context) {
      const milliseconds = typeof input === "string" ? parseDuration(input) : undefined;
      if (milliseconds === undefined) {
        return typeError(context, 'a duration with a unit such as "250ms", "2s" or "1m"', input);
      }
      if (milliseconds < min) return context.report(ConfigErrorCode.VALUE, `${input} is shorter than ${min}ms`);
      return milliseconds;
    },
  };
}

/** A size in bytes: a number, or a string with a unit (`512KiB`, `1MiB`, `10MB`). */
export function byteSize(options: { readonly min?: number } = {}): Schema<number> {
  const min = options.min ?? 0;
  return {
    typeName: "size",
    parse(input, context) {
      const bytes = typeof input === "number" && Number.isInteger(input) ? input : typeof input === "string" ? parseByteSize(input) : undefined;
      if (bytes === undefined) return typeError(context, 'a size such as 1048576, "512KiB" or "1MiB"', input);
      if (bytes < min) return context.report(ConfigErrorCode.VALUE, `${input} is smaller than ${min} bytes`);
      return bytes;
    },
  };
}

export function list<T>(item: Schema<T>, options: { readonly minItems?: number } = {}): Schema<readonly T[]> {
  const minItems = options.minItems ?? 0;
  return {
    typeName: `list of ${item.typeName}`,
    parse(input, context) {
      if (!Array.isArray(input)) return typeError(context, `a list of ${item.typeName}`, input);
      if (input.length < minItems) return context.report(ConfigErrorCode.VALUE, `needs at least ${minItems} item(s)`);
      const result: T[] = [];
      let valid = true;
      input.forEach((element, index) => {
        const parsed = item.parse(element, context.at(index));
        if (parsed === INVALID) valid = false;
        else result.push(parsed);
      });
      return valid ? Object.freeze(result) : INVALID;
    },
  };
}

function isMapping(input: unknown): input is Record<string, unknown> {
  return typeof input === "object" && input !== null && !Array.isArray(input);
}

/** A mapping with keys chosen by the user (services by name, headers by name). */
export function map<T>(value: Schema<T>, options: { readonly keyPattern?: RegExp; readonly keyHint?: string } = {}): Schema<Readonly<Record<string, T>>> {
  return {
    typeName: `mapping of name to ${value.typeName}`,
    parse(input, context) {
      if (!isMapping(input)) return typeError(context, "a mapping", input);
      // A null prototype: a key named __proto__ is just a key.
      const result: Record<string, T> = Object.create(null);
      let valid = true;
      for (const [key, element] of Object.entries(input)) {
        if (options.keyPattern !== undefined && !options.keyPattern.test(key)) {
          context.at(key).report(ConfigErrorCode.VALUE, `"${key}" is not ${options.keyHint ?? `matching ${options.keyPattern}`}`);
          valid = false;
          continue;
        }
        const parsed = value.parse(element, context.at(key));
        if (parsed === INVALID) valid = false;
        else result[key] = parsed;
      }
      return valid ? Object.freeze(result) : INVALID;
    },
  };
}

export interface Field<T> {
  readonly schema: Schema<unknown>;
  readonly required: boolean;
  readonly defaultValue: T | undefined;
  readonly description: string;
  /** Phantom: carries the field's value type for Infer. */
  readonly __type?: T;
}

export function required<T>(schema: Schema<T>, description: string): Field<T> {
  return { schema, required: true, defaultValue: undefined, description };
}

export function optional<T>(schema: Schema<T>, description: string): Field<T | undefined> {
  return { schema, required: false, defaultValue: undefined, description };
}

export function withDefault<T>(schema: Schema<T>, defaultValue: T, description: string): Field<T> {
  return { schema, required: false, defaultValue, description };
}

export type Fields = Readonly<Record<string, Field<unknown>>>;
export type FieldsValue<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

export interface ObjectSchema<F extends Fields> extends Schema<FieldsValue<F>> {
  readonly fields: F;
}

/** A mapping with a fixed set of keys: unknown keys are errors with a did-you-mean. */
export function object<F extends Fields>(fields: F, typeName = "mapping"): ObjectSchema<F> {
  const known = Object.keys(fields);
  return {
    typeName,
    fields,
    parse(input, context) {
      if (!isMapping(input)) return typeError(context, typeName, input);
      let valid = true;
      for (const key of Object.keys(input)) {
        if (Object.hasOwn(fields, key)) continue;
        const hint = suggest(key, known);
        const tail = hint === undefined ? ` (known keys: ${known.join(", ")})` : ` (did you mean "${hint}"?)`;
        context.at(key).report(ConfigErrorCode.UNKNOWN_KEY, `unknown key "${key}"${tail}`);
        valid = false;
      }
      const result: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(fields)) {
        const value = input[key];
        if (value === undefined || value === null) {
          if (field.required) {
            context.at(key).report(ConfigErrorCode.REQUIRED, `"${key}" is required (${field.description})`);
            valid = false;
          } else {
            result[key] = field.defaultValue;
          }
          continue;
        }
        const parsed = field.schema.parse(value, context.at(key));
        if (parsed === INVALID) valid = false;
        else result[key] = parsed;
      }
      return valid ? (Object.freeze(result) as FieldsValue<F>) : INVALID;
    },
  };
}

/**
 * A mapping whose shape depends on one of its keys, e.g. a listener's
 * `protocol`. The variants come from a registry, so adding a protocol adds a
 * variant without touching this file.
 */
export function tagged<T>(tagKey: string, variant: (tag: string) => Schema<T> | undefined, unknownTagMessage: (tag: string) => string): Schema<T> {
  return {
    typeName: `mapping with "${tagKey}"`,
    parse(input, context) {
      if (!isMapping(input)) return typeError(context, "a mapping", input);
      const tag = input[tagKey];
      if (typeof tag !== "string") {
        return tag === undefined ? context.at(tagKey).report(ConfigErrorCode.REQUIRED, `"${tagKey}" is required`) : typeError(context.at(tagKey), "a string", tag);
      }
      const schema = variant(tag);
      if (schema === undefined) return context.at(tagKey).report(ConfigErrorCode.REFERENCE, unknownTagMessage(tag));
      return schema.parse(input, context);
    },
  };
}

/** Any value, validated later by whoever owns it (a filter's options by the filter's own schema). */
export function anything(typeName = "any value"): Schema<unknown> {
  return { typeName, parse: (input) => input };
}

/** Post-validation on a parsed value; `check` reports problems and returns the (possibly transformed) value. */
export function refine<T, U>(schema: Schema<T>, check: (value: T, context: ParseContext) => Parsed<U>): Schema<U> {
  return {
    typeName: schema.typeName,
    // An object schema keeps its fields visible through the check (fieldsOf).
    ...(isObjectSchema(schema) ? { fields: schema.fields } : {}),
    parse(input, context) {
      const parsed = schema.parse(input, context);
      return parsed === INVALID ? INVALID : check(parsed, context);
    },
  };
}

function isObjectSchema(schema: Schema<unknown>): schema is ObjectSchema<Fields> {
  return "fields" in schema && typeof schema.fields === "object" && schema.fields !== null;
}

/** The fields of an object schema (also through refine), for tools that describe options; undefined for other schemas. */
export function fieldsOf(schema: Schema<unknown>): Fields | undefined {
  return isObjectSchema(schema) ? schema.fields : undefined;
}

/** The defaults of a schema, by parsing an empty mapping with it. */
export function schemaDefaults<T>(schema: Schema<T>): T {
  const parsed = schema.parse({}, new ParseContext());
  if (parsed === INVALID) throw new Error(`schema ${schema.typeName} has required fields and no defaults`);
  return parsed;
}
