import { resolve } from "node:path";
import type protobuf from "protobufjs";
import type { CodecRegistry } from "../codecs/codec-registry.js";
import { decodeRequestBody } from "../codecs/codec-step.js";
import type { RequestEnvelope } from "../core/envelope.js";
import type { Filter } from "../core/handler.js";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { byteSize, object, optional, string, withDefault, type Infer } from "../options/schema.js";
import type { MessageShape } from "../protojson/message-shape.js";
import { messageInfo } from "../protojson/message-info.js";
import { buildRequestJson } from "../protojson/request-message.js";
import type { FilterContext, FilterFactory } from "./filter-factory.js";
import { compileJsonSchema, type JsonSchemaCheck } from "./json-schema-check.js";
import { compileMessageRules, type FieldViolation, type MessageCheck } from "./proto-rules.js";

const validateSchema = object(
  {
    schema: optional(string(), "a JSON Schema file (relative to the config file) the body must match, for routes without a proto request type"),
    maxBodyBytes: withDefault(byteSize({ min: 1 }), 4 * 1024 * 1024, "the largest body read for validation; a longer one is refused with 413"),
  },
  "validate options",
);

type ValidateOptions = Infer<typeof validateSchema>;

const badRequestType = "type.googleapis.com/google.rpc.BadRequest";

// protobufjs's object form: proto names, 64-bit integers as strings, enums as numbers, unset fields absent.
const objectForm: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: false };

/**
 * Checks each request against the route's request type (google.api.field_behavior
 * REQUIRED and the plain buf.validate rules), or against a JSON Schema file,
 * and refuses it with 400 INVALID_ARGUMENT and a google.rpc.BadRequest that
 * lists every violation: `- validate: {}`. The checks are compiled once here.
 */
export const validateFilter: FilterFactory<ValidateOptions> = {
  name: "validate",
  description: "refuse requests that break the route's proto rules (field_behavior REQUIRED, buf.validate) or a JSON Schema, with every violation listed",
  optionsSchema: validateSchema,
  create(options, context) {
    if (options.schema !== undefined) return schemaFilter(options, context, options.schema);
    const shape = context.route?.requestShape;
    if (shape === undefined) {
      const where = context.route === undefined ? "a global filter has no route" : `route "${context.route.id}" has no proto request type`;
      throw new ConfigError([
        {
          code: ConfigErrorCode.REFERENCE,
          path: context.configPath,
          message: `validate needs a request type (a gRPC method, or an http route's upstream.requestType) or schema: file.json; ${where}`,
        },
      ]);
    }
    let check: MessageCheck | undefined;
    try {
      check = compileMessageRules(shape.type);
    } catch (error) {
      throw new ConfigError([{ code: ConfigErrorCode.VALUE, path: context.configPath, message: (error as Error).message }]);
    }
    const { codecs } = context;
    return (next) => async (request) => {
      const message = await requestMessage(request, shape, codecs, options.maxBodyBytes);
      const violations: FieldViolation[] = [];
      check?.(message, "", violations);
      if (violations.length > 0) throw invalidRequest(violations);
      return next(request);
    };
  },
};

/** A body checked by a JSON Schema file; the file is read and compiled here, a bad one is a config error naming it. */
function schemaFilter(options: ValidateOptions, context: FilterContext, file: string): Filter {
  const path = resolve(context.baseDirectory, file);
  let check: JsonSchemaCheck;
  try {
    check = compileJsonSchema(path);
  } catch (error) {
    throw new ConfigError([{ code: ConfigErrorCode.VALUE, path: `${context.configPath}.schema`, message: `${file}: ${(error as Error).message}` }]);
  }
  const { codecs } = context;
  return (next) => async (request) => {
    const decoded = request.body.kind === "empty" ? { value: undefined } : await decodeRequestBody(codecs, request, undefined, { maxBytes: options.maxBodyBytes, fallback: codecs.json });
    const violations = check("value" in decoded ? (decoded.value ?? null) : null);
    if (violations.length > 0) throw invalidRequest(violations);
    return next(request);
  };
}

/**
 * The whole request message as the upstream will get it — body, then path
 * variables, then query parameters, as google.api.http maps them — in
 * protobufjs's object form. Going through the binary encoding gives one form
 * whatever codec, field names and enum spelling the caller used, and type
 * errors (a word for a number) are reported by the encoder with their path.
 * The body is read once: afterwards request.body holds its bytes.
 */
async function requestMessage(request: RequestEnvelope, shape: MessageShape, codecs: CodecRegistry, maxBytes: number): Promise<Record<string, unknown>> {
  const decoded = request.body.kind === "empty" ? undefined : await decodeRequestBody(codecs, request, shape, { maxBytes, fallback: codecs.json });
  const body = decoded !== undefined && "value" in decoded ? decoded.value : undefined;
  const fields = messageInfo(shape.type).byName;
  const json = buildRequestJson(
    {
      requestType: shape.type,
      // A body that is the whole message ("*") takes no query parameters; a body field or no body does.
      body: shape.field?.protoName ?? (body === undefined ? undefined : "*"),
      // Only variables that name fields are part of the message (an http route's path may bind others).
      pathFields: Object.keys(request.params).filter((path) => fields.has(path.split(".")[0]!)),
      rejectUnknownQuery: false,
    },
    request,
    body,
  );
  const bytes = shape.protoJson.encode(shape.type, json);
  return shape.type.toObject(shape.type.decode(bytes), objectForm);
}

function invalidRequest(violations: readonly FieldViolation[]): GatewayError {
  const first = violations[0]!;
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : "";
  return new GatewayError(StatusCode.INVALID_ARGUMENT, `invalid request: ${first.field === "" ? "" : `${first.field}: `}${first.description}${more}`, {
    details: [{ "@type": badRequestType, fieldViolations: violations.map(({ field, description }) => ({ field, description })) }],
  });
}
