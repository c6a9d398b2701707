import { ConfigErrorCode } from "../options/error-codes.js";
import { boolean, list, object, optional, refine, string, withDefault, type Infer } from "../options/schema.js";

/** A literal path: the document is one route, with no variables or wildcards. */
const documentPath = refine(string({ pattern: /^\/[A-Za-z0-9\-._~!$&'()+,;@%/]*$/, patternHint: "a literal path such as /openapi.json" }), (value, context) =>
  value.includes("//") || (value.length > 1 && value.endsWith("/")) ? context.report(ConfigErrorCode.VALUE, "expected a path without empty segments, such as /openapi.json") : value,
);

/** `openapi:` — the OpenAPI 3.1 document of the routes, generated once per config. */
export const openApiSchema = object(
  {
    enabled: withDefault(boolean(), true, "serve the document; false serves nothing (`rosetta openapi` still prints it)"),
    path: withDefault(documentPath, "/openapi.json", "where the document is served (JSON; `?format=yaml` for YAML)"),
    title: withDefault(string(), "Rosetta", "info.title"),
    version: withDefault(string(), "1.0.0", "info.version: the version of your API, not Rosetta's"),
    description: optional(string(), "info.description (Markdown)"),
    servers: withDefault(list(string()), [], "server URLs the document names; none: the document's own origin"),
  },
  "openapi options",
);

export type OpenApiOptions = Infer<typeof openApiSchema>;
