import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Validator } from "@seriousme/openapi-schema-validator";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { silentLogger } from "../../src/observability/logger.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the document is walked by key

const documents = suite<{ document: Json }>("OpenAPI 3.1 document of the showcase protos: valid, and in the proto3 JSON form Rosetta speaks");

/** The document a gateway builds for a config (built, never bound; the target is never called). */
async function documentOf(config: Record<string, unknown>): Promise<Json> {
  const plugins = builtinPlugins();
  const gateway = await Gateway.create(validateGatewayConfig({ listeners: [{ protocol: "http", port: 0 }], ...config }, plugins), plugins, silentLogger);
  const document = gateway.openapi();
  await gateway.stop(0);
  return document;
}

export const showcaseConfig = (target: string, extra: Record<string, unknown> = {}) => ({
  protos: { include: ["test/protos"] },
  services: {
    showcase: { protocol: "grpc", targets: [target], protos: ["rosetta/test/v1/showcase.proto"], successStatus: { CreateItem: 201 } },
    shop: { protocol: "http", targets: ["http://127.0.0.1:1"], protos: ["rosetta/test/v1/showcase.proto"] },
  },
  routes: [
    {
      id: "raw-item",
      match: { path: "/api/raw/{name=shops/*/items/*}", methods: ["GET"] },
      upstream: { service: "showcase", method: "rosetta.test.v1.Showcase/GetItem", json: { useProtoNames: true, enumsAsNumbers: true } },
    },
    {
      id: "shop-items",
      match: { path: "/shop/items/{id}", methods: ["PUT"] },
      upstream: { service: "shop", path: "/items/{id}", requestType: "rosetta.test.v1.Item", responseType: "rosetta.test.v1.Item" },
    },
    { id: "untyped", match: { path: "/shop/other", methods: ["GET"] }, upstream: { service: "shop" } },
  ],
  ...extra,
});

documents.before(async (context) => {
  context.document = await documentOf(showcaseConfig("127.0.0.1:1"));
});

const schemaOf = (document: Json, name: string): Json => document.components.schemas[name];

documents("a real OpenAPI 3.1 validator accepts the document, and refuses it with a broken part", async ({ document }) => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document));
  assert.equal(result.errors, undefined);
  assert.ok(result.valid);
  assert.is(validator.version, "3.1");
  const broken = structuredClone(document);
  broken.paths["/v1/{name}"].get.parameters[0].in = "body";
  assert.not.ok((await new Validator().validate(broken)).valid, "a parameter in the body (OpenAPI 2) is refused");
});

documents("every binding is an operation with a stable id: annotations, additional bindings, unannotated methods, config routes, typed HTTP routes", ({ document }) => {
  const ids = Object.values(document.paths as Json).flatMap((item: Json) => Object.values(item).map((operation: Json) => operation.operationId));
  assert.equal(ids.sort(), [
    "Showcase_CreateItem",
    "Showcase_DeleteItem",
    "Showcase_Download",
    "Showcase_Everything",
    "Showcase_GetItem",
    "Showcase_GetItem_1",
    "Showcase_GetItem_raw-item",
    "Showcase_GetPrice",
    "Showcase_ListItems",
    "Showcase_Ping",
    "Showcase_UpdateItem",
    "Showcase_UploadItems",
    "Showcase_WatchItems",
    "shop-items",
  ]);
  assert.equal(document.tags, [{ name: "rosetta.test.v1.Showcase", description: "The showcase: every shape the OpenAPI generator writes." }]);
  assert.is(document.paths["/rosetta.test.v1.Showcase/Ping"].post.operationId, "Showcase_Ping");
  assert.is(document.paths["/shop/other"], undefined, "a route without proto types is not documented");
});

documents("a variable that spans segments is {name} with a pattern; a colon verb stays in the path", ({ document }) => {
  const [name] = document.paths["/v1/{name}"].get.parameters;
  assert.equal(name.schema, { type: "string", pattern: "^shops/[^/]+/items/[^/]+$" });
  assert.is(name.in, "path");
  assert.ok(name.required);
  assert.equal(document.paths["/v1/items/{name}"].get.parameters[0].schema, { type: "string" });
  assert.ok(document.paths["/v1/{parent}/items:watch"].get);
  assert.equal(document.paths["/v1/{parent}/items:watch"].get.parameters[0].schema.pattern, "^shops/[^/]+$");
  // PATCH /v1/{item.name=…} shares the path of GET /v1/{name=…}: OpenAPI allows one set of names per path.
  const patch = document.paths["/v1/{name}"].patch;
  assert.is(patch.operationId, "Showcase_UpdateItem");
  assert.match(patch.parameters[0].description, "`item.name`");
  const int64Path = document.paths["/v1/everything/{int64_value}"].post.parameters[0];
  assert.equal(int64Path.schema, { type: "string", format: "int64", pattern: "^-?[0-9]+$" });
});

documents("query parameters: dotted names for nested fields, repeated as exploded arrays, enums as name lists, path and body fields left out", ({ document }) => {
  const parameters: Json[] = document.paths["/v1/{parent}/items"].get.parameters;
  const byName = Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter]));
  assert.equal(Object.keys(byName), ["parent", "pageSize", "kinds", "filter.titlePrefix", "filter.minPrice", "ids", "inStock"]);
  assert.equal(byName.kinds, {
    name: "kinds",
    in: "query",
    required: false,
    schema: { type: "array", items: { type: "string", enum: ["KIND_UNSPECIFIED", "KIND_PHYSICAL", "KIND_DIGITAL"] } },
    style: "form",
    explode: true,
  });
  assert.equal(byName["filter.minPrice"].schema, { type: "string", format: "uint64", pattern: "^[0-9]+$" });
  assert.is(byName.pageSize.description, "How many items to return at most.");
  const create: Json[] = document.paths["/v1/{parent}/items"].post.parameters;
  assert.equal(
    create.map((parameter) => parameter.name),
    ["parent", "itemId"],
    "body: item is not a query parameter",
  );
  assert.is(document.paths["/v1/everything/{int64_value}"].post.parameters.length, 1, 'body: "*" leaves no query parameters');
});

documents("message schemas in proto3 JSON: 64-bit integers as strings, enums by name, bytes base64, well-known types, maps, oneofs, nullable messages", ({ document }) => {
  const everything = schemaOf(document, "rosetta.test.v1.Everything").properties;
  assert.equal(everything.int64Value, { type: "string", format: "int64", pattern: "^-?[0-9]+$" });
  assert.equal(everything.uint64Value, { type: "string", format: "uint64", pattern: "^[0-9]+$" });
  assert.equal(everything.fixed64Value.type, "string");
  assert.equal(everything.int32Value, { type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 });
  assert.equal(everything.uint32Value.maximum, 4294967295);
  assert.equal(everything.doubleValue.anyOf[1], { type: "string", enum: ["NaN", "Infinity", "-Infinity"] });
  assert.equal(everything.bytesValue, { type: "string", format: "byte", contentEncoding: "base64" });
  assert.equal(everything.enumValue, { $ref: "#/components/schemas/rosetta.test.v1.Kind" });
  assert.equal(schemaOf(document, "rosetta.test.v1.Kind").enum, ["KIND_UNSPECIFIED", "KIND_PHYSICAL", "KIND_DIGITAL"]);
  assert.match(schemaOf(document, "rosetta.test.v1.Kind").description, "`KIND_PHYSICAL`: Things you can hold.");
  assert.equal(everything.repeatedInt64, { type: "array", items: { type: "string", format: "int64", pattern: "^-?[0-9]+$" } });
  assert.equal(everything.intMap, { type: "object", propertyNames: { pattern: "^-?[0-9]+$" }, additionalProperties: { $ref: "#/components/schemas/rosetta.test.v1.Kind" } });
  assert.equal(everything.messageMap.additionalProperties, { $ref: "#/components/schemas/rosetta.test.v1.Dimensions" });
  assert.equal(everything.timestamp.anyOf[0].format, "date-time");
  assert.equal(everything.duration.anyOf[0].pattern, "^-?[0-9]+(\\.[0-9]{1,9})?s$");
  assert.equal(everything.fieldMask.anyOf[0].type, "string");
  assert.equal(everything.struct.anyOf[0], { type: "object", additionalProperties: true });
  assert.equal(everything.listValue.anyOf[0], { type: "array", items: {} });
  assert.equal(everything.any.anyOf[0].properties["@type"].type, "string");
  assert.equal(everything.int64Wrapper, { anyOf: [{ type: "string", format: "int64", pattern: "^-?[0-9]+$" }, { type: "null" }] });
  assert.equal(everything.boolWrapper, { anyOf: [{ type: "boolean" }, { type: "null" }] });
  assert.equal(everything.nullValue, { type: "null" });
  assert.equal(everything.recursive, { anyOf: [{ $ref: "#/components/schemas/rosetta.test.v1.Everything" }, { type: "null" }] });
  assert.equal(everything.optionalValue, { type: "string" });
  assert.equal(schemaOf(document, "rosetta.test.v1.Everything").allOf, [
    {
      not: {
        anyOf: [{ required: ["choiceText", "choiceNumber"] }, { required: ["choiceText", "choiceMessage"] }, { required: ["choiceNumber", "choiceMessage"] }],
      },
    },
  ]);
  assert.equal(schemaOf(document, "rosetta.test.v1.Address").properties.town, { type: "string" }, "json_name is the key");
});

documents("comments become descriptions; field_behavior REQUIRED is required, OUTPUT_ONLY is readOnly", ({ document }) => {
  const item = schemaOf(document, "rosetta.test.v1.Item");
  assert.is(item.description, "An item in a shop.\n\n`delivery`: at most one of `downloadUrl`, `shipping`");
  assert.is(item.properties.price.description, "Price in cents.");
  assert.equal(item.required, ["title"]);
  assert.is(item.properties.createTime.readOnly, true);
  assert.is(document.paths["/v1/{name}"].get.description, "Reads one item by its resource name.");
  assert.is(document.paths["/v1/{name}"].patch.description, "Updates an item with a field mask.", "a /* */ comment too");
  assert.equal(schemaOf(document, "rosetta.test.v1.CreateItemRequest"), undefined, "CreateItemRequest is only ever split into parameters and a body");
});

documents('request bodies: body "*" without the path-bound fields, body "field" as that field, client streams as NDJSON, HttpBody as raw bytes', ({ document }) => {
  const everything = document.paths["/v1/everything/{int64_value}"].post.requestBody.content["application/json"].schema;
  assert.is(everything.properties.int64Value, undefined);
  assert.ok(everything.properties.uint64Value);
  const create = document.paths["/v1/{parent}/items"].post.requestBody.content["application/json"].schema;
  assert.equal(create, { $ref: "#/components/schemas/rosetta.test.v1.Item" });
  const update = document.paths["/v1/{name}"].patch.requestBody.content["application/json"].schema;
  assert.is(update.properties.name, undefined, "item.name is bound to the path");
  assert.ok(update.properties.title);
  assert.equal(document.paths["/v1/items:upload"].post.requestBody.content, { "application/x-ndjson": { schema: { $ref: "#/components/schemas/rosetta.test.v1.Item" } } });
  assert.is(document.paths["/v1/{name}"].get.requestBody, undefined);
});

documents("responses: response_body, success status, Empty, HttpBody, server streams as NDJSON and SSE, google.rpc.Status as default", ({ document }) => {
  const price = document.paths["/v1/{name}/price"].get.responses["200"].content["application/json"].schema;
  assert.equal(price, { type: "string", format: "int64", pattern: "^-?[0-9]+$", description: "Price in cents." });
  assert.ok(document.paths["/v1/{parent}/items"].post.responses["201"], "successStatus: CreateItem: 201");
  assert.equal(document.paths["/v1/{name}:download"].get.responses["200"].content, { "*/*": { schema: { type: "string", format: "binary" } } });
  const stream = document.paths["/v1/{parent}/items:watch"].get.responses["200"].content;
  assert.equal(Object.keys(stream), ["application/x-ndjson", "text/event-stream"]);
  assert.equal(stream["application/x-ndjson"].schema.properties.result, { $ref: "#/components/schemas/rosetta.test.v1.Item" });
  assert.equal(document.paths["/v1/{name}"].get.responses.default.content["application/json"].schema, { $ref: "#/components/schemas/google.rpc.Status" });
  assert.equal(Object.keys(schemaOf(document, "google.rpc.Status").properties), ["code", "message", "details"]);
});

documents("a route's JSON options name its own schemas: proto names, enums as numbers", ({ document }) => {
  const raw = document.paths["/api/raw/{name}"].get.responses["200"].content["application/json"].schema;
  assert.equal(raw, { $ref: "#/components/schemas/rosetta.test.v1.Item_proto_names_enum_numbers" });
  const item = schemaOf(document, "rosetta.test.v1.Item_proto_names_enum_numbers");
  assert.ok(item.properties.create_time);
  assert.equal(item.properties.kind, { $ref: "#/components/schemas/rosetta.test.v1.Kind_numbers" });
  assert.equal(schemaOf(document, "rosetta.test.v1.Kind_numbers").enum, [0, 1, 2]);
});

documents("typed HTTP routes: requestType is the body, responseType the reply, path variables strings", ({ document }) => {
  const put = document.paths["/shop/items/{id}"].put;
  assert.equal(put.parameters, [{ name: "id", in: "path", required: true, description: "the path variable `id`", schema: { type: "string" } }]);
  assert.equal(put.requestBody.content["application/json"].schema, { $ref: "#/components/schemas/rosetta.test.v1.Item" });
  assert.equal(put.responses["200"].content["application/json"].schema, { $ref: "#/components/schemas/rosetta.test.v1.Item" });
});

documents("custom kinds: HEAD, OPTIONS and TRACE are operations; a kind OpenAPI has no field for is left out", async () => {
  const route = (id: string, method: string) => ({
    id,
    match: { path: "/api/items/{name=shops/*/items/*}", methods: [method] },
    upstream: { service: "showcase", method: "rosetta.test.v1.Showcase/GetItem" },
  });
  const document = await documentOf(showcaseConfig("127.0.0.1:1", { routes: ["HEAD", "OPTIONS", "TRACE", "LIST"].map((method) => route(`item-${method.toLowerCase()}`, method)) }));
  assert.equal(Object.keys(document.paths["/api/items/{name}"]).sort(), ["head", "options", "trace"]);
  assert.is(document.paths["/api/items/{name}"].head.operationId, "Showcase_GetItem_item-head");
  assert.ok((await new Validator().validate(structuredClone(document))).valid);
});

documents("options: title, version, description, servers; off: nothing served but the document is still built", async () => {
  const document = await documentOf(showcaseConfig("127.0.0.1:1", { openapi: { title: "Shop", version: "2.3.0", description: "The shop API", servers: ["https://api.example.com"] } }));
  assert.equal(document.info, { title: "Shop", version: "2.3.0", description: "The shop API" });
  assert.equal(document.servers, [{ url: "https://api.example.com" }]);
  assert.throws(() => validateGatewayConfig({ listeners: [{ protocol: "http", port: 0 }], openapi: { path: "/docs/{x}" } }, builtinPlugins()), /openapi\.path/);
});

documents.run();
