import type protobuf from "protobufjs";

/** google.api.FieldBehavior by number, for options read from descriptors (reflection) rather than .proto text. */
const behaviorNames = ["FIELD_BEHAVIOR_UNSPECIFIED", "OPTIONAL", "REQUIRED", "OUTPUT_ONLY", "INPUT_ONLY", "IMMUTABLE", "UNORDERED_LIST", "NON_EMPTY_DEFAULT", "IDENTIFIER"];

/** A field's `(google.api.field_behavior)` values (a repeated option: written once per value, or as a list). */
export function fieldBehaviors(field: protobuf.Field): ReadonlySet<string> {
  const found = new Set<string>();
  const add = (value: unknown) => {
    if (Array.isArray(value)) for (const element of value) add(element);
    else if (typeof value === "string") found.add(value);
    else if (typeof value === "number" && behaviorNames[value] !== undefined) found.add(behaviorNames[value]);
  };
  const parsed = field.parsedOptions as ReadonlyArray<Record<string, unknown>> | undefined;
  for (const option of parsed ?? []) add(option["(google.api.field_behavior)"]);
  if (parsed === undefined) add(field.options?.["(google.api.field_behavior)"]);
  return found;
}

/** A leading comment as a description: trimmed, undefined when empty. */
export function commentOf(reflection: { readonly comment: string | null }): string | undefined {
  const text = reflection.comment?.trim();
  return text === undefined || text === "" ? undefined : text;
}
