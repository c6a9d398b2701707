import type protobuf from "protobufjs";
import type { ProtoJsonOptions } from "./protojson-options.js";

/** What a JSON conversion needs besides the value: the options, and a way to resolve `Any` type URLs. */
export interface JsonContext {
  readonly options: ProtoJsonOptions;
  readonly resolveType: (fullName: string) => protobuf.Type | undefined;
}

/** `type.googleapis.com/pkg.Msg` → `pkg.Msg`. */
export function typeNameOfUrl(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}
