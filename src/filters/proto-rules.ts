import type protobuf from "protobufjs";
import { defaultScalar } from "../protojson/binary.js";
import { messageInfo, type FieldInfo } from "../protojson/message-info.js";

/** One broken rule: the field's path in proto names (`item.tags[1]`) and what is wrong, as google.rpc.BadRequest.FieldViolation. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * Checks a message in protobufjs object form (proto field names, int64 as
 * strings, enums as numbers, unset fields absent), appending every violation.
 */
export type MessageCheck = (message: Record<string, unknown>, prefix: string, violations: FieldViolation[]) => void;

type ValueCheck = (value: unknown, path: string, violations: FieldViolation[]) => void;

/** Options are read from the parsed .proto text (`parsedOptions`); a rule set split over several options is merged. */
type Rules = Record<string, unknown>;

const fieldBehaviorKey = "(google.api.field_behavior)";
const fieldRulesKey = "(buf.validate.field)";

/**
 * Compiles the checks of a message type once: `google.api.field_behavior =
 * REQUIRED` and the plain `buf.validate` constraints (string, number, bytes,
 * bool, enum, repeated, required), recursing into message fields whose types
 * have rules. Throws an Error naming the field for a rule that cannot work
 * (a pattern that is not a regular expression).
 */
export function compileMessageRules(type: protobuf.Type): MessageCheck | undefined {
  return new RuleCompiler().message(type);
}

class RuleCompiler {
  // A type being compiled is in the map already, so recursive types terminate.
  readonly #compiled = new Map<protobuf.Type, { check: MessageCheck | undefined; done: boolean }>();

  message(type: protobuf.Type): MessageCheck | undefined {
    const known = this.#compiled.get(type);
    if (known?.done === true) return known.check;
    if (known !== undefined) return (message, prefix, violations) => known.check?.(message, prefix, violations);
    const slot: { check: MessageCheck | undefined; done: boolean } = { check: undefined, done: false };
    this.#compiled.set(type, slot);
    // Google's own types (Timestamp, Struct…) carry no rules.
    const checks = type.fullName.startsWith(".google.protobuf.")
      ? []
      : messageInfo(type)
          .fields.map((field) => this.#field(field))
          .filter((check): check is MessageCheck => check !== undefined);
    slot.done = true;
    if (checks.length > 0) {
      slot.check = (message, prefix, violations) => {
        for (const check of checks) check(message, prefix, violations);
      };
    }
    return slot.check;
  }

  #field(info: FieldInfo): MessageCheck | undefined {
    const { behaviors, rules } = readFieldOptions(info.field);
    const name = info.protoName;
    const required = behaviors.includes("REQUIRED") || rules?.required === true;
    const ignoreIfZero = rules?.ignore === "IGNORE_IF_ZERO_VALUE" || rules?.ignore === 1;
    if (rules?.ignore === "IGNORE_ALWAYS" || rules?.ignore === 3) return undefined;
    const where = `${info.field.parent?.fullName.slice(1)}.${name}`;
    let valueCheck: ValueCheck | undefined;
    if (info.repeated && !info.map) {
      const repeated = rules?.repeated as Rules | undefined;
      const item = this.#single(info, repeated?.items as Rules | undefined, where);
      valueCheck = repeatedCheck(repeated, item);
    } else if (!info.map) {
      valueCheck = this.#single(info, rules, where);
    }
    if (!required && valueCheck === undefined) return undefined;
    // Scalars without presence (and lists) are checked at their zero value too, as protovalidate does; fields with presence only when set.
    const zero = info.repeated && !info.map ? [] : info.map || info.tracksPresence ? undefined : zeroOf(info);
    return (message, prefix, violations) => {
      const path = prefix === "" ? name : `${prefix}.${name}`;
      const value = message[name];
      if (isUnset(value, info)) {
        if (required) violations.push({ field: path, description: "value is required" });
        if (ignoreIfZero || zero === undefined) return;
        valueCheck?.(zero, path, violations);
        return;
      }
      valueCheck?.(value, path, violations);
    };
  }

  /** The check of one value of the field (an element, for a repeated field). */
  #single(info: FieldInfo, rules: Rules | undefined, where: string): ValueCheck | undefined {
    if (info.kind === "message") {
      const nested = this.message(info.messageType!);
      return nested === undefined ? undefined : (value, path, violations) => nested(value as Record<string, unknown>, path, violations);
    }
    if (rules === undefined) return undefined;
    if (info.kind === "enum") return enumCheck(rules.enum as Rules | undefined, info.enumType!);
    if (info.scalar === "string") return stringCheck(rules.string as Rules | undefined, where);
    if (info.scalar === "bytes") return bytesCheck(rules.bytes as Rules | undefined);
    if (info.scalar === "bool") return boolCheck(rules.bool as Rules | undefined);
    return numberCheck(rules[info.scalar!] as Rules | undefined, info.scalar === "double" || info.scalar === "float");
  }
}

/** The field_behavior values and the merged buf.validate rules of a field. */
function readFieldOptions(field: protobuf.Field): { behaviors: string[]; rules: Rules | undefined } {
  const behaviors: string[] = [];
  let rules: Rules | undefined;
  for (const option of (field.parsedOptions ?? []) as Record<string, unknown>[]) {
    for (const [key, value] of Object.entries(option)) {
      if (key === fieldBehaviorKey) behaviors.push(...(Array.isArray(value) ? value : [value]).map(String));
      else if (key === fieldRulesKey && typeof value === "object" && value !== null) rules = merge(rules ?? {}, value as Rules);
    }
  }
  return { behaviors, rules };
}

/** Deep merge; a key given twice (`in: "a", in: "b"` in separate options) becomes a list. */
function merge(into: Rules, from: Rules): Rules {
  for (const [key, value] of Object.entries(from)) {
    const existing = into[key];
    if (existing === undefined) into[key] = value;
    else if (isRules(existing) && isRules(value)) into[key] = merge({ ...existing }, value);
    else into[key] = [...asList(existing), ...asList(value)];
  }
  return into;
}

const isRules = (value: unknown): value is Rules => typeof value === "object" && value !== null && !Array.isArray(value);
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function isUnset(value: unknown, info: FieldInfo): boolean {
  if (value === undefined || value === null) return true;
  if (info.map) return Object.keys(value as object).length === 0;
  if (info.repeated) return (value as unknown[]).length === 0;
  return false;
}

function zeroOf(info: FieldInfo): unknown {
  return info.kind === "enum" || info.scalar === undefined ? 0 : defaultScalar(info.scalar);
}

const listText = (values: readonly unknown[]) => `[${values.join(", ")}]`;

function repeatedCheck(rules: Rules | undefined, item: ValueCheck | undefined): ValueCheck | undefined {
  const minItems = rules?.min_items === undefined ? undefined : Number(rules.min_items);
  const maxItems = rules?.max_items === undefined ? undefined : Number(rules.max_items);
  const unique = rules?.unique === true;
  if (minItems === undefined && maxItems === undefined && !unique && item === undefined) return undefined;
  return (value, path, violations) => {
    const items = value as unknown[];
    if (minItems !== undefined && items.length < minItems) violations.push({ field: path, description: `value must contain at least ${minItems} item(s)` });
    if (maxItems !== undefined && items.length > maxItems) violations.push({ field: path, description: `value must contain no more than ${maxItems} item(s)` });
    if (unique && new Set(items.map((entry) => (typeof entry === "object" ? JSON.stringify(entry) : entry))).size !== items.length) {
      violations.push({ field: path, description: "repeated value must contain unique items" });
    }
    if (item !== undefined) for (const [index, entry] of items.entries()) item(entry, `${path}[${index}]`, violations);
  };
}

// The HTML5 form of an address, as protovalidate's `email` rule uses.
const emailPattern = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function stringCheck(rules: Rules | undefined, where: string): ValueCheck | undefined {
  if (rules === undefined) return undefined;
  const checks: ((text: string) => string | undefined)[] = [];
  const count = (key: string) => (rules[key] === undefined ? undefined : Number(rules[key]));
  const length = (text: string) => [...text].length;
  const bytes = (text: string) => Buffer.byteLength(text);
  const [exact, min, max, exactBytes, minBytes, maxBytes] = ["len", "min_len", "max_len", "len_bytes", "min_bytes", "max_bytes"].map(count);
  if (rules.const !== undefined) checks.push((text) => (text === rules.const ? undefined : `value must equal \`${rules.const}\``));
  if (exact !== undefined) checks.push((text) => (length(text) === exact ? undefined : `value length must be ${exact} characters`));
  if (min !== undefined) checks.push((text) => (length(text) >= min ? undefined : `value length must be at least ${min} characters`));
  if (max !== undefined) checks.push((text) => (length(text) <= max ? undefined : `value length must be at most ${max} characters`));
  if (exactBytes !== undefined) checks.push((text) => (bytes(text) === exactBytes ? undefined : `value length must be ${exactBytes} bytes`));
  if (minBytes !== undefined) checks.push((text) => (bytes(text) >= minBytes ? undefined : `value length must be at least ${minBytes} bytes`));
  if (maxBytes !== undefined) checks.push((text) => (bytes(text) <= maxBytes ? undefined : `value length must be at most ${maxBytes} bytes`));
  if (rules.pattern !== undefined) {
    const source = String(rules.pattern);
    let pattern: RegExp;
    try {
      pattern = new RegExp(source, "u");
    } catch (error) {
      throw new Error(`${where}: (buf.validate.field).string.pattern is not a regular expression: ${(error as Error).message}`);
    }
    checks.push((text) => (pattern.test(text) ? undefined : `value does not match regex pattern \`${source}\``));
  }
  if (rules.prefix !== undefined) checks.push((text) => (text.startsWith(String(rules.prefix)) ? undefined : `value does not have prefix \`${rules.prefix}\``));
  if (rules.suffix !== undefined) checks.push((text) => (text.endsWith(String(rules.suffix)) ? undefined : `value does not have suffix \`${rules.suffix}\``));
  if (rules.contains !== undefined) checks.push((text) => (text.includes(String(rules.contains)) ? undefined : `value does not contain substring \`${rules.contains}\``));
  if (rules.not_contains !== undefined) checks.push((text) => (text.includes(String(rules.not_contains)) ? `value contains substring \`${rules.not_contains}\`` : undefined));
  if (rules.in !== undefined) {
    const allowed = asList(rules.in).map(String);
    checks.push((text) => (allowed.includes(text) ? undefined : `value must be in list ${listText(allowed)}`));
  }
  if (rules.not_in !== undefined) {
    const denied = asList(rules.not_in).map(String);
    checks.push((text) => (denied.includes(text) ? `value must not be in list ${listText(denied)}` : undefined));
  }
  if (rules.email === true) checks.push((text) => (emailPattern.test(text) ? undefined : "value must be a valid email address"));
  return textChecks(checks);
}

function textChecks<T>(checks: ((value: T) => string | undefined)[]): ValueCheck | undefined {
  if (checks.length === 0) return undefined;
  return (value, path, violations) => {
    for (const check of checks) {
      const description = check(value as T);
      if (description !== undefined) violations.push({ field: path, description });
    }
  };
}

function bytesCheck(rules: Rules | undefined): ValueCheck | undefined {
  if (rules === undefined) return undefined;
  const size = (value: Uint8Array | string) => (typeof value === "string" ? Buffer.from(value, "base64").byteLength : value.byteLength);
  const checks: ((value: Uint8Array | string) => string | undefined)[] = [];
  if (rules.len !== undefined) checks.push((value) => (size(value) === Number(rules.len) ? undefined : `value length must be ${rules.len} bytes`));
  if (rules.min_len !== undefined) checks.push((value) => (size(value) >= Number(rules.min_len) ? undefined : `value length must be at least ${rules.min_len} bytes`));
  if (rules.max_len !== undefined) checks.push((value) => (size(value) <= Number(rules.max_len) ? undefined : `value length must be at most ${rules.max_len} bytes`));
  return textChecks(checks);
}

function boolCheck(rules: Rules | undefined): ValueCheck | undefined {
  if (rules?.const === undefined) return undefined;
  return textChecks([(value: boolean) => (value === rules.const ? undefined : `value must equal ${rules.const}`)]);
}

/** Number rules; 64-bit integers (strings in object form) compare as BigInt so no precision is lost. */
function numberCheck(rules: Rules | undefined, floating: boolean): ValueCheck | undefined {
  if (rules === undefined) return undefined;
  type Num = number | bigint;
  const toNumber = floating ? (value: unknown): Num => Number(value) : (value: unknown): Num => BigInt(String(value));
  const bound = (key: string) => (rules[key] === undefined ? undefined : toNumber(rules[key]));
  const [constant, lt, lte, gt, gte] = ["const", "lt", "lte", "gt", "gte"].map(bound);
  const checks: ((value: Num) => string | undefined)[] = [];
  if (constant !== undefined) checks.push((value) => (value === constant ? undefined : `value must equal ${constant}`));
  if (gt !== undefined) checks.push((value) => (value > gt ? undefined : `value must be greater than ${gt}`));
  if (gte !== undefined) checks.push((value) => (value >= gte ? undefined : `value must be greater than or equal to ${gte}`));
  if (lt !== undefined) checks.push((value) => (value < lt ? undefined : `value must be less than ${lt}`));
  if (lte !== undefined) checks.push((value) => (value <= lte ? undefined : `value must be less than or equal to ${lte}`));
  if (rules.in !== undefined) {
    const allowed: Num[] = asList(rules.in).map((entry) => toNumber(entry));
    checks.push((value) => (allowed.includes(value) ? undefined : `value must be in list ${listText(allowed)}`));
  }
  if (rules.not_in !== undefined) {
    const denied: Num[] = asList(rules.not_in).map((entry) => toNumber(entry));
    checks.push((value) => (denied.includes(value) ? `value must not be in list ${listText(denied)}` : undefined));
  }
  if (floating && rules.finite === true) checks.push((value) => (Number.isFinite(value) ? undefined : "value must be finite"));
  const check = textChecks(checks);
  // protobufjs writes NaN/Infinity as strings in object form only for JSON; numbers arrive as numbers or 64-bit strings.
  return check === undefined ? undefined : (value, path, violations) => check(toNumber(value), path, violations);
}

function enumCheck(rules: Rules | undefined, enumType: protobuf.Enum): ValueCheck | undefined {
  if (rules === undefined) return undefined;
  const checks: ((value: number) => string | undefined)[] = [];
  const numberOf = (value: unknown) => (typeof value === "number" ? value : (enumType.values[String(value)] ?? Number(value)));
  if (rules.defined_only === true) checks.push((value) => (enumType.valuesById[value] === undefined ? "value must be one of the defined enum values" : undefined));
  if (rules.const !== undefined) checks.push((value) => (value === numberOf(rules.const) ? undefined : `value must equal ${rules.const}`));
  if (rules.in !== undefined) {
    const allowed = asList(rules.in).map(numberOf);
    checks.push((value) => (allowed.includes(value) ? undefined : `value must be in list ${listText(allowed)}`));
  }
  if (rules.not_in !== undefined) {
    const denied = asList(rules.not_in).map(numberOf);
    checks.push((value) => (denied.includes(value) ? `value must not be in list ${listText(denied)}` : undefined));
  }
  const check = textChecks(checks);
  return check === undefined ? undefined : (value, path, violations) => check(numberOf(value), path, violations);
}
