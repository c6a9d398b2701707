import { ConfigErrorCode } from "../options/error-codes.js";
import type { Schema } from "../options/schema.js";

/** A sampling ratio: a number from 0 (none) to 1 (all). */
export const ratio: Schema<number> = {
  typeName: "ratio 0..1",
  parse(input, context) {
    if (typeof input !== "number" || !Number.isFinite(input)) return context.report(ConfigErrorCode.TYPE, `expected a ratio from 0 to 1, got ${JSON.stringify(input)}`);
    if (input < 0 || input > 1) return context.report(ConfigErrorCode.VALUE, `${input} is not a ratio from 0 to 1`);
    return input;
  },
};
