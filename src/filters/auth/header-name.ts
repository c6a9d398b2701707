import { refine, string } from "../../options/schema.js";

/** A header name, lower-cased as the envelope holds header names. */
export const headerName = refine(string({ pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, patternHint: "a valid header name" }), (value) => value.toLowerCase());
