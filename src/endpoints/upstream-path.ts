import type { RequestEnvelope } from "../core/envelope.js";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { parsePathTemplate, type PathTemplate } from "../pipeline/path-template.js";
import { ConfigErrorCode } from "../options/error-codes.js";
import { ExactNumber } from "../core/exact-number.js";
import { refine, string } from "../options/schema.js";

/** An upstream path template in config: every wildcard must sit in a variable, so there is something to fill it with. */
export const upstreamTemplate = refine(string(), (value, context) => {
  const parsed = parsePathTemplate(value);
  if (!parsed.ok) return context.report(ConfigErrorCode.TEMPLATE, parsed.error);
  const bare = parsed.template.segments.some(
    (segment, index) => segment.kind !== "literal" && !parsed.template.variables.some((variable) => index >= variable.start && (variable.length < 0 || index < variable.start + variable.length)),
  );
  if (bare) return context.report(ConfigErrorCode.TEMPLATE, `upstream path "${value}" has a wildcard outside a variable; there is nothing to fill it with`);
  return parsed.template;
});

/** Where a variable of the upstream path takes its value from. */
type Piece =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "param"; readonly name: string; readonly multiSegment: boolean }
  | { readonly kind: "lookup"; readonly name: string; readonly multiSegment: boolean };

export interface UpstreamPath {
  /** True when some variable may have to be read from the JSON body. */
  readonly needsBody: boolean;
  /** The path (without query), or a GatewayError naming the variable that had no value. */
  build(request: RequestEnvelope, body: unknown): string | GatewayError;
}

/**
 * Compiles an upstream path template once per route. Variables bound by the
 * route's own template come from `request.params`; any other variable is
 * looked up, in this order, in a header of that name, a query parameter, and
 * a field of the JSON body (dotted paths walk nested objects), the order
 * grpc-gateway style gateways use.
 */
export function compileUpstreamPath(template: PathTemplate, routeTemplate: PathTemplate | undefined): UpstreamPath {
  const bound = new Map(routeTemplate?.variables.map((variable) => [variable.fieldPath, variable.multiSegment]));
  const pieces: Piece[] = [];
  let text = "";
  let segment = 0;
  while (segment < template.segments.length) {
    const variable = template.variables.find((candidate) => candidate.start === segment);
    text += "/";
    if (variable === undefined) {
      const literal = template.segments[segment]!;
      text += literal.kind === "literal" ? encodePathValue(literal.value, false) : "";
      segment++;
      continue;
    }
    pieces.push({ kind: "text", text });
    text = "";
    const boundMultiSegment = bound.get(variable.fieldPath);
    // A value that came from a multi-segment match keeps its slashes as separators.
    pieces.push({
      kind: boundMultiSegment === undefined ? "lookup" : "param",
      name: variable.fieldPath,
      multiSegment: variable.multiSegment || boundMultiSegment === true,
    });
    segment = variable.length < 0 ? template.segments.length : segment + variable.length;
  }
  if (template.segments.length === 0) text = "/";
  if (template.verb !== undefined) text += `:${template.verb}`;
  if (text !== "") pieces.push({ kind: "text", text });
  const needsBody = pieces.some((piece) => piece.kind === "lookup");

  return {
    needsBody,
    build(request, body) {
      let path = "";
      for (const piece of pieces) {
        if (piece.kind === "text") {
          path += piece.text;
          continue;
        }
        const value = piece.kind === "param" ? request.params[piece.name] : lookup(request, body, piece.name);
        if (value === undefined || value === "") {
          return new GatewayError(StatusCode.INVALID_ARGUMENT, `no value for "{${piece.name}}" of the upstream path (looked in the path, headers, query and JSON body)`);
        }
        path += encodePathValue(value, piece.multiSegment);
      }
      return path;
    },
  };
}

function lookup(request: RequestEnvelope, body: unknown, name: string): string | undefined {
  const header = request.headers[name.toLowerCase()];
  if (typeof header === "string") return header;
  const query = request.rawQuery === "" ? null : request.query.get(name);
  if (query !== null) return query;
  let value = body;
  for (const key of name.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === "string" || typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" || value instanceof ExactNumber ? String(value) : undefined;
}

const unreserved = /^[A-Za-z0-9\-._~]*$/;

/** Single-segment values encode every reserved character; multi-segment ones keep `/` and an already encoded `%2F`. */
function encodePathValue(value: string, multiSegment: boolean): string {
  if (unreserved.test(value)) return value;
  if (!multiSegment) return encodeURIComponent(value);
  return value
    .split("/")
    .map((part) => part.split(/%2F/i).map(encodeURIComponent).join("%2F"))
    .join("/");
}
