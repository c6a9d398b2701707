import { stringify } from "yaml";
import { bytesBody } from "../core/body.js";
import { GatewayError } from "../core/gateway-error.js";
import type { Handler } from "../core/handler.js";
import { StatusCode } from "../core/status-code.js";
import type { CompiledRoute } from "../pipeline/gateway-handler.js";
import { parsePathTemplate } from "../pipeline/path-template.js";
import type { OpenApiOptions } from "../openapi/openapi-options.js";

/**
 * The route that serves the OpenAPI document: JSON, or YAML with
 * `?format=yaml`. Both texts are written here, once per config; a request
 * only picks one. It comes after every other route, so a route of the
 * config's own at the same path wins.
 */
export function openApiRoute(document: Record<string, unknown>, options: OpenApiOptions): CompiledRoute {
  const parsed = parsePathTemplate(options.path);
  // The options schema admits literal paths only, which always parse.
  if (!parsed.ok) throw new Error(parsed.error);
  const json = Buffer.from(openApiText(document, "json"));
  const yaml = Buffer.from(openApiText(document, "yaml"));
  const handler: Handler = async (request) => {
    const format = request.rawQuery === "" ? "json" : (request.query.get("format") ?? "json");
    if (format !== "json" && format !== "yaml") throw new GatewayError(StatusCode.INVALID_ARGUMENT, `format must be json or yaml, not "${format}"`);
    const yamlWanted = format === "yaml";
    return {
      status: 200,
      // Any origin may read it: Swagger UI or Redoc served from elsewhere fetch it from the browser.
      headers: {
        "content-type": yamlWanted ? "application/yaml; charset=utf-8" : "application/json; charset=utf-8",
        "cache-control": "no-cache",
        "access-control-allow-origin": "*",
      },
      body: bytesBody(yamlWanted ? yaml : json),
    };
  };
  return { id: "openapi", template: parsed.template, methods: new Set(["GET"]), condition: undefined, handler };
}

/** The document as served and as `rosetta openapi` prints it: indented JSON, or YAML without anchors. */
export function openApiText(document: Record<string, unknown>, format: "json" | "yaml"): string {
  return format === "yaml" ? stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 }) : `${JSON.stringify(document, null, 2)}\n`;
}
