import { boolean, object, withDefault, type Infer } from "../options/schema.js";

/**
 * How messages are written as JSON and how strictly JSON is read, per service
 * (and overridable per route). The defaults are grpc-gateway's.
 */
export const protoJsonOptionsSchema = object(
  {
    emitUnpopulated: withDefault(boolean(), true, 'write fields at their default value (0, "", [], null for messages), as grpc-gateway does'),
    useProtoNames: withDefault(boolean(), false, "write field names as in the .proto (snake_case) instead of lowerCamelCase json_name"),
    enumsAsNumbers: withDefault(boolean(), false, "write enums as numbers instead of names"),
    rejectUnknownFields: withDefault(boolean(), false, "refuse JSON (and query) fields the message does not have, naming them, instead of ignoring them"),
  },
  "JSON mapping options",
);

export type ProtoJsonOptions = Infer<typeof protoJsonOptionsSchema>;

export const defaultProtoJsonOptions: ProtoJsonOptions = Object.freeze({
  emitUnpopulated: true,
  useProtoNames: false,
  enumsAsNumbers: false,
  rejectUnknownFields: false,
});
