import { ConfigErrorCode } from "../options/error-codes.js";
import type { Schema } from "../options/schema.js";

/** A share: `20%` or a number 0..1 (`0.2`); parsed to the number. Bounds are inclusive. */
export function fraction(options: { readonly min?: number; readonly max?: number } = {}): Schema<number> {
  const min = options.min ?? 0;
  const max = options.max ?? 1;
  return {
    typeName: "percentage",
    parse(input, context) {
      let value: number | undefined;
      if (typeof input === "number") value = input;
      else if (typeof input === "string" && /^\d+(\.\d+)?%$/.test(input.trim())) value = Number(input.trim().slice(0, -1)) / 100;
      if (value === undefined || !Number.isFinite(value)) return context.report(ConfigErrorCode.TYPE, `expected a percentage such as "20%" or a number such as 0.2, got ${JSON.stringify(input)}`);
      if (value < min || value > max) return context.report(ConfigErrorCode.VALUE, `${JSON.stringify(input)} is outside ${min * 100}%..${max * 100}%`);
      return value;
    },
  };
}
