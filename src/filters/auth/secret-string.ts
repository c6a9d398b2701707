import { ConfigErrorCode } from "../../options/error-codes.js";
import type { Schema } from "../../options/schema.js";

/** A string that is a secret (a key, a hash, an HMAC secret): a problem with it is reported without its value. */
export function secretString(pattern: RegExp, hint: string): Schema<string> {
  return {
    typeName: "string",
    parse(input, context) {
      if (typeof input !== "string") return context.report(ConfigErrorCode.TYPE, `expected a string, got ${Array.isArray(input) ? "a list" : input === null ? "null" : typeof input}`);
      return pattern.test(input) ? input : context.report(ConfigErrorCode.VALUE, `the value (not shown: it is a secret) is not ${hint}`);
    },
  };
}
