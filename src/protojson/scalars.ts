import { ExactNumber } from "../core/exact-number.js";
import type { ScalarType } from "./message-info.js";
import type { RawScalar } from "./raw-message.js";

/** A JSON value that does not fit its field; the caller adds the field path. */
export class ScalarError extends Error {}

const int32Range = [-(2 ** 31), 2 ** 31 - 1] as const;
const uint32Range = [0, 2 ** 32 - 1] as const;
const int64Range = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const uint64Range = [0n, 2n ** 64n - 1n] as const;
const maxFloat32 = 3.4028234663852886e38;

/** A value as the caller wrote it, for error messages. */
function show(value: unknown): string {
  return value instanceof ExactNumber ? value.text : JSON.stringify(value);
}

/** Integers may come as JSON numbers or strings, in plain or exponent notation, as long as they are whole; text is read exactly. */
function parseInteger(value: unknown): bigint {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new ScalarError(`${value} is not an integer`);
    return BigInt(value);
  }
  const text = typeof value === "string" ? value.trim() : value instanceof ExactNumber ? value.text : undefined;
  const exact = text === undefined ? undefined : exactInteger(text);
  if (exact !== undefined) return exact;
  throw new ScalarError(`${show(value)} is not an integer`);
}

const decimal = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
// Beyond this many digits no 64-bit type can hold the value; 10n ** 1e9n is never computed.
const tooLong = 22;

/** A decimal text → its exact integer value, undefined when it is not a whole number. */
function exactInteger(text: string): bigint | undefined {
  const match = decimal.exec(text);
  if (match === null) return undefined;
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  let digits = ((whole ?? "") + fraction).replace(/^0+/, "");
  let scale = Number(exponent) - fraction.length;
  if (digits === "") return 0n;
  if (scale < 0) {
    const kept = digits.replace(/0+$/, "");
    if (digits.length - kept.length < -scale) return undefined;
    digits = digits.slice(0, digits.length + scale);
    scale = 0;
  }
  if (digits.length + scale > tooLong) throw new ScalarError(`${text} is out of range`);
  return BigInt(`${sign}${digits}`) * 10n ** BigInt(scale);
}

function inRange(value: bigint, [low, high]: readonly [bigint, bigint] | readonly [number, number], scalar: string): bigint {
  if (value < BigInt(low) || value > BigInt(high)) throw new ScalarError(`${value} is out of range for ${scalar}`);
  return value;
}

function parseFloating(value: unknown, scalar: "float" | "double"): number {
  let number: number;
  if (typeof value === "number") number = value;
  else if (value instanceof ExactNumber) number = value.value;
  else if (value === "NaN") return Number.NaN;
  else if (value === "Infinity") return Number.POSITIVE_INFINITY;
  else if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  else if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) number = Number(value);
  else throw new ScalarError(`${show(value)} is not a number`);
  if (!Number.isFinite(number)) throw new ScalarError(`${show(value)} is out of range for ${scalar}`);
  if (scalar === "float" && Math.abs(number) > maxFloat32) throw new ScalarError(`${value} is out of range for float`);
  return number;
}

/** Standard or URL-safe base64, padded or not; anything else is refused rather than silently truncated. */
function decodeBase64(value: unknown): Uint8Array {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value) || value.replace(/=+$/, "").length % 4 === 1) {
    throw new ScalarError(`${show(value)} is not base64`);
  }
  return Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** A JSON (or query-string) value → the raw form of a scalar field. */
export function parseScalar(scalar: ScalarType, value: unknown): RawScalar {
  switch (scalar) {
    case "int32":
    case "sint32":
    case "sfixed32":
      return Number(inRange(parseInteger(value), int32Range, scalar));
    case "uint32":
    case "fixed32":
      return Number(inRange(parseInteger(value), uint32Range, scalar));
    case "int64":
    case "sint64":
    case "sfixed64":
      return inRange(parseInteger(value), int64Range, scalar).toString();
    case "uint64":
    case "fixed64":
      return inRange(parseInteger(value), uint64Range, scalar).toString();
    case "float":
    case "double":
      return parseFloating(value, scalar);
    case "bool":
      if (typeof value === "boolean") return value;
      throw new ScalarError(`${show(value)} is not true or false`);
    case "string":
      if (typeof value === "string") return value;
      throw new ScalarError(`${show(value)} is not a string`);
    case "bytes":
      return decodeBase64(value);
  }
}

/** A map key as JSON writes it (always a string) → its raw form. */
export function parseMapKey(scalar: ScalarType, key: string): RawScalar {
  if (scalar === "bool") {
    if (key === "true" || key === "false") return key === "true";
    throw new ScalarError(`map key ${JSON.stringify(key)} is not true or false`);
  }
  if (scalar === "string") return key;
  return parseScalar(scalar, key);
}

/** The shortest decimal that reads back as the same float32, as protoc's JSON printer writes floats. */
function formatFloat32(value: number): number {
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/** A raw scalar → its JSON form. */
export function formatScalar(scalar: ScalarType, value: RawScalar): unknown {
  switch (scalar) {
    case "float":
    case "double": {
      const number = value as number;
      if (Number.isNaN(number)) return "NaN";
      if (number === Number.POSITIVE_INFINITY) return "Infinity";
      if (number === Number.NEGATIVE_INFINITY) return "-Infinity";
      return scalar === "float" ? formatFloat32(number) : number;
    }
    case "bytes":
      return Buffer.from((value as Uint8Array).buffer, (value as Uint8Array).byteOffset, (value as Uint8Array).byteLength).toString("base64");
    default:
      return value;
  }
}
