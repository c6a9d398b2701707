import type { Filter } from "../core/handler.js";
import type { Schema } from "../options/schema.js";

/**
 * A filter kind, referenced by name in config (`- request-headers: {…}`).
 * Options are validated once by its schema; `create` does the expensive
 * work and returns the per-request closure.
 */
export interface FilterFactory<Options = unknown> {
  readonly name: string;
  readonly description: string;
  readonly optionsSchema: Schema<Options>;
  create(options: Options): Filter;
}
