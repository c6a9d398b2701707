import { resolveFieldPath } from "../protojson/field-path.js";
import type { MessageShape } from "../protojson/message-shape.js";
import type { PathTemplate } from "../pipeline/path-template.js";
import { dropUndefined, type JsonSchema } from "./json-schema.js";
import { MessageSchemas, type ExcludedPaths, type SchemaNaming } from "./message-schemas.js";
import type { OpenApiOptions } from "./openapi-options.js";
import { openApiPath, type OpenApiPath, type PathVariable } from "./path-parameters.js";
import { queryParameters, valueSchema, type Parameter } from "./query-parameters.js";
import { statusSchema } from "./well-known-schemas.js";

/**
 * What the document needs to know of a route's call. Endpoints describe their
 * routes with `RouteOperation` (src/endpoints/endpoint.ts), which has this shape;
 * the gateway hands one to the other, so neither folder imports the other.
 */
export interface DocumentedOperation {
  readonly name: string;
  readonly service: string | undefined;
  readonly serviceDescription: string | undefined;
  readonly description: string | undefined;
  readonly request: MessageShape | undefined;
  readonly body: string | undefined;
  readonly transcoded: boolean;
  readonly response: MessageShape | undefined;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly streamFormat: string | undefined;
  readonly successStatus: number;
}

export interface DocumentedRoute {
  readonly id: string;
  /** undefined: the route takes every path, which a document cannot list. */
  readonly template: PathTemplate | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  /** Made by the endpoint (annotations, unannotated methods) rather than written in the config. */
  readonly generated: boolean;
  readonly operation: DocumentedOperation;
}

/** The methods an OpenAPI 3.1 Path Item has fields for; a custom kind beyond them cannot be listed. */
const httpMethods = new Set(["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"]);
const httpBodyType = ".google.api.HttpBody";
const binary: JsonSchema = { type: "string", format: "binary" };
const ndjson = "application/x-ndjson";
const sse = "text/event-stream";

/**
 * The OpenAPI 3.1 document of the routes whose bodies are proto messages: in
 * the router's order, so when two routes take the same path and method the
 * one that wins is the one listed. Built once per config.
 */
export function buildOpenApiDocument(routes: readonly DocumentedRoute[], options: Omit<OpenApiOptions, "enabled" | "path">): Record<string, unknown> {
  const schemas = new MessageSchemas();
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Map<string, string | undefined>();
  const operationIds = new Set<string>();
  const pathShapes = new Map<string, readonly string[]>();
  for (const route of routes) {
    if (route.template === undefined) continue;
    const { operation } = route;
    const { path, variables } = sharedNames(openApiPath(route.template), pathShapes);
    const methods = route.methods === undefined ? [operation.body === undefined ? "GET" : "POST"] : [...route.methods].filter((method) => httpMethods.has(method));
    for (const method of methods) {
      const item = (paths[path] ??= {});
      const key = method.toLowerCase();
      // The router takes the first route of a path and method: a later one is never reached.
      if (item[key] !== undefined) continue;
      const id = uniqueId(operationIdOf(route, methods.length > 1 ? key : undefined), operationIds);
      if (operation.service !== undefined && !tags.has(operation.service)) tags.set(operation.service, operation.serviceDescription);
      item[key] = describeOperation(id, operation, variables, schemas);
    }
  }
  return dropUndefined({
    openapi: "3.1.0",
    info: dropUndefined({ title: options.title, version: options.version, description: options.description }),
    servers: options.servers.length > 0 ? options.servers.map((url) => ({ url })) : undefined,
    tags: tags.size > 0 ? [...tags].map(([name, description]) => dropUndefined({ name, description })) : undefined,
    paths,
    components: { schemas: { ...schemas.components, "google.rpc.Status": statusSchema } },
  });
}

/**
 * OpenAPI forbids two paths that differ only in their variables' names
 * (`/v1/{name}` and `/v1/{book.name}`). Rosetta binds variables by position,
 * so the second takes the first's names; each parameter still says which
 * field it fills.
 */
function sharedNames(found: OpenApiPath, shapes: Map<string, readonly string[]>): OpenApiPath {
  const shape = found.path.replace(/\{[^}]*\}/g, "{}");
  const names = shapes.get(shape);
  if (names === undefined) {
    shapes.set(
      shape,
      found.variables.map((variable) => variable.name),
    );
    return found;
  }
  const variables = found.variables.map((variable, index) => ({ ...variable, name: names[index] ?? variable.name }));
  let index = 0;
  return { path: found.path.replace(/\{[^}]*\}/g, () => `{${variables[index++]?.name ?? ""}}`), variables };
}

/**
 * Stable, from the method: `Service_Method` for a route the annotations make
 * (`_1`, `_2` for its additional bindings), `Service_Method_<route id>` for a
 * config route to a method, the route id for an HTTP route.
 */
function operationIdOf(route: DocumentedRoute, method: string | undefined): string {
  const { name } = route.operation;
  const binding = /\.(\d+)$/.exec(route.id)?.[1];
  const base = route.generated ? (binding === undefined ? name : `${name}_${binding}`) : route.id === name ? name : `${name}_${route.id}`;
  return (method === undefined ? base : `${base}_${method}`).replace(/[^A-Za-z0-9_.-]/g, "_");
}

function uniqueId(wanted: string, taken: Set<string>): string {
  let id = wanted;
  for (let n = 2; taken.has(id); n++) id = `${wanted}_${n}`;
  taken.add(id);
  return id;
}

function describeOperation(operationId: string, operation: DocumentedOperation, variables: readonly PathVariable[], schemas: MessageSchemas): Record<string, unknown> {
  const request = operation.request;
  const naming: SchemaNaming = request?.protoJson.options ?? operation.response?.protoJson.options ?? { useProtoNames: false, enumsAsNumbers: false };
  const pathFields = operation.transcoded ? variables.flatMap((variable) => (variable.fieldPath === undefined ? [] : [variable.fieldPath.split(".")])) : [];
  const parameters: Parameter[] = variables.map((variable) => pathParameter(variable, request, operation.transcoded, naming, schemas));
  if (request !== undefined && operation.transcoded && operation.body !== "*" && !operation.requestStream) {
    const excluded: ExcludedPaths = operation.body === undefined ? pathFields : [...pathFields, operation.body.split(".")];
    parameters.push(...queryParameters(request.type, naming, excluded, schemas));
  }
  return dropUndefined({
    operationId,
    tags: operation.service === undefined ? undefined : [operation.service],
    description: operation.description,
    parameters: parameters.length > 0 ? parameters : undefined,
    requestBody: request === undefined || operation.body === undefined ? undefined : requestBody(operation, request, pathFields, naming, schemas),
    responses: {
      [String(operation.successStatus)]: successResponse(operation, naming, schemas),
      default: { description: "An error: google.rpc.Status as JSON", content: { "application/json": { schema: { $ref: "#/components/schemas/google.rpc.Status" } } } },
    },
  });
}

function pathParameter(variable: PathVariable, request: MessageShape | undefined, transcoded: boolean, naming: SchemaNaming, schemas: MessageSchemas): Parameter {
  const field = variable.fieldPath === undefined || request === undefined || !transcoded ? undefined : resolveFieldPath(request.type, variable.fieldPath)?.field;
  const base = field === undefined ? { type: "string" } : valueSchema(field, schemas, naming);
  const schema = variable.pattern === undefined ? base : { ...base, pattern: variable.pattern };
  const spans = variable.pattern !== undefined && variable.pattern !== "^.+$" ? " Its slashes are sent as they are, not percent-encoded." : "";
  const description =
    variable.fieldPath === undefined
      ? "a path segment the route matches by wildcard"
      : transcoded
        ? `\`${variable.fieldPath}\` of the request.${spans}`
        : `the path variable \`${variable.fieldPath}\``;
  return { name: variable.name, in: "path", required: true, description, schema };
}

function requestBody(operation: DocumentedOperation, request: MessageShape, pathFields: ExcludedPaths, naming: SchemaNaming, schemas: MessageSchemas): Record<string, unknown> {
  let schema: JsonSchema;
  let rawBytes = false;
  if (operation.body === "*") {
    rawBytes = request.type.fullName === httpBodyType;
    schema = pathFields.length === 0 ? schemas.message(request.type, naming) : schemas.inline(request.type, naming, pathFields);
  } else {
    // A body field may be nested (`payload.input_value`): path fields below it are left out of it.
    const bodyPath = (operation.body ?? "").split(".");
    const field = resolveFieldPath(request.type, operation.body ?? "")?.field;
    if (field === undefined) return { required: true, content: { "application/json": { schema: {} } } };
    rawBytes = field.messageType?.fullName === httpBodyType;
    const below = (path: readonly string[]) => path.length > bodyPath.length && bodyPath.every((name, index) => path[index] === name);
    const nested = pathFields.filter(below).map((path) => path.slice(bodyPath.length));
    schema =
      nested.length > 0 && field.messageType !== undefined && !field.repeated && !field.map
        ? schemas.inline(field.messageType, naming, nested)
        : field.repeated || field.map
          ? schemas.field(field, naming)
          : schemas.single(field, naming);
  }
  if (rawBytes) return { required: true, content: { "*/*": { schema: binary } }, description: "the raw body, with its Content-Type" };
  if (operation.requestStream) return { required: true, description: "a stream of messages: one JSON message per line", content: { [ndjson]: { schema } } };
  return { required: true, content: { "application/json": { schema } } };
}

function successResponse(operation: DocumentedOperation, naming: SchemaNaming, schemas: MessageSchemas): Record<string, unknown> {
  if (operation.successStatus === 204) return { description: "No content" };
  const response = operation.response;
  if (response === undefined) return { description: "The upstream's reply" };
  if (response.field === undefined && response.type.fullName === httpBodyType) {
    return {
      description: operation.responseStream ? "The raw body: every message's data in turn, with the first one's content type" : "The raw body, with its content type",
      content: { "*/*": { schema: binary } },
    };
  }
  const schema = response.field === undefined ? schemas.message(response.type, naming) : schemas.field(response.field, naming);
  if (!operation.responseStream) return { description: "OK", content: { "application/json": { schema } } };
  const formats: Record<string, unknown> = {
    [ndjson]: {
      schema: {
        type: "object",
        description: 'one line per message: `{"result": message}`; a failure after the first message is a last `{"error": status}` line',
        properties: { result: schema, error: { $ref: "#/components/schemas/google.rpc.Status" } },
      },
    },
    [sse]: { schema: { type: "string", description: "one `data:` event per message, the message as JSON; a failure is an `event: error` whose data is the status" } },
  };
  if (operation.streamFormat === "array") formats["application/json"] = { schema: { type: "array", items: schema } };
  // The route's own framing first: it is what a caller gets without an Accept header that picks another.
  const first = operation.streamFormat === "sse" ? sse : operation.streamFormat === "array" ? "application/json" : ndjson;
  const content = { [first]: formats[first], ...Object.fromEntries(Object.entries(formats).filter(([type]) => type !== first)) };
  return { description: "A stream of messages (Accept: application/x-ndjson or text/event-stream picks the framing)", content };
}
