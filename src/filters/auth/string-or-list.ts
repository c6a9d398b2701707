import { list, string, type Schema } from "../../options/schema.js";

const strings = list(string(), { minItems: 1 });

/** One string or a list of them (`audience: orders` or `audience: [orders, billing]`), as a list. */
export const stringOrList: Schema<readonly string[]> = {
  typeName: "string or list of string",
  parse: (input, context) => (typeof input === "string" ? Object.freeze([input]) : strings.parse(input, context)),
};
