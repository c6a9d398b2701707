import { resolve } from "node:path";
import { suggest } from "../core/did-you-mean.js";
import type { Plugins } from "./plugins.js";
import { adminSchema, type AdminConfig } from "./admin-config.js";
import type { FilterFactory } from "../filters/filter-factory.js";
import { redisSectionSchema, type RedisSection } from "../filters/redis-connection.js";
import { userFilter } from "./user-filters.js";
import type { EtcdSource } from "./etcd-source.js";
import { workerProblems, workersSchema, type WorkersSetting } from "./workers-options.js";
import type { ListenerBaseOptions } from "../listeners/listener.js";
import { compileConditions, conditionFields, type Condition } from "../pipeline/conditions.js";
import { parsePathTemplate, type PathTemplate } from "../pipeline/path-template.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import type { AccessLogOptions } from "../observability/access-log.js";
import type { TracingOptions } from "../observability/tracing.js";
import { accessLogSchema, tracingSchema } from "./observability-options.js";
import { openApiSchema, type OpenApiOptions } from "../openapi/openapi-options.js";
import { INVALID, anything, duration, list, map, object, optional, refine, required, schemaDefaults, string, tagged, withDefault, type Fields, type Schema, ParseContext } from "../options/schema.js";

export interface FilterEntry {
  readonly name: string;
  readonly factory: FilterFactory;
  readonly options: unknown;
  /** Where the entry is in the config, for the factory's own errors. */
  readonly configPath: string;
}

export interface RouteConfig {
  readonly id: string;
  /** `routes[3]`, for errors found when the route is built. */
  readonly configPath: string;
  /** undefined: the route matches every path (`/**`). */
  readonly template: PathTemplate | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly condition: Condition | undefined;
  /** `match.listeners` as written, for the routes table; undefined: every listener. */
  readonly listeners: readonly string[] | undefined;
  readonly filters: readonly FilterEntry[];
  readonly service: string;
  /** Parsed by the service's endpoint kind. */
  readonly upstream: unknown;
}

export interface ServiceConfig {
  readonly protocol: string;
  readonly options: unknown;
}

export interface GatewayConfig {
  readonly listeners: readonly (ListenerBaseOptions & { readonly name: string })[];
  /** `protos.include`, resolved against the config file's folder. */
  readonly protoIncludes: readonly string[];
  readonly services: Readonly<Record<string, ServiceConfig>>;
  readonly filters: readonly FilterEntry[];
  readonly routes: readonly RouteConfig[];
  readonly codecs: Readonly<Record<string, unknown>>;
  readonly shutdownTimeout: number;
  /** Shared state (rate-limit `store: redis`); undefined when the config has no `redis` section. */
  readonly redis: RedisSection | undefined;
  /** The config file's folder (the working directory for a config given as an object). */
  readonly baseDirectory: string;
  /** The admin listener; undefined: none. */
  readonly admin: AdminConfig | undefined;
  /** The document as given (before defaults), for /config with secrets redacted. */
  readonly document: unknown;
  /** `accessLog`, with a file path resolved against the config file's folder; undefined: no access log. */
  readonly accessLog: AccessLogOptions | undefined;
  /** `tracing`; undefined: no spans, and the OpenTelemetry SDK is never loaded. */
  readonly tracing: TracingOptions | undefined;
  /** `openapi`: the OpenAPI document of the routes, and whether and where it is served. */
  readonly openapi: OpenApiOptions;
  /** `workers`: how many processes `rosetta start` runs (workers-options.ts). */
  readonly workers: WorkersSetting;
  /** Set in a worker process: the supervisor serves the admin listener, the worker only keeps metrics. */
  readonly adminInSupervisor?: boolean;
  /** Set by the loader for a config read from etcd (`configSource` in the -c file): where, and at which revision. */
  readonly configSource?: { readonly etcd: EtcdSource; readonly revision: number };
}

const templateSchema = refine(string(), (value, context) => {
  const parsed = parsePathTemplate(value);
  return parsed.ok ? parsed.template : context.report(ConfigErrorCode.TEMPLATE, parsed.error);
});

const methodSchema = string({ pattern: /^[A-Z]+$/, patternHint: "an upper-case HTTP method such as GET" });
const nameSchema = string({ pattern: /^[A-Za-z0-9_.-]+$/, patternHint: "a name of letters, digits, _ . -" });

/** `- request-id` or `- request-headers: { set: {…} }`: the filter's name, with options its own schema checks; or `- use: ./file.js` (user-filters.ts). */
function filterEntrySchema(plugins: Plugins, baseDirectory: string): Schema<FilterEntry> {
  return {
    typeName: "filter name or { name: options }",
    parse(input, context) {
      if (typeof input === "object" && input !== null && "use" in input) return parseUseEntry(input as Record<string, unknown>, plugins, baseDirectory, context);
      let name: string;
      let options: unknown = {};
      if (typeof input === "string") {
        name = input;
      } else if (typeof input === "object" && input !== null && !Array.isArray(input) && Object.keys(input).length === 1) {
        [name, options] = Object.entries(input)[0]!;
        options ??= {};
      } else {
        return context.report(ConfigErrorCode.TYPE, "expected a filter name, or a mapping with one key: the filter's name, and its options as value");
      }
      const factory = plugins.filters.find(name);
      if (factory === undefined) return context.report(ConfigErrorCode.REFERENCE, plugins.filters.unknownMessage(name));
      const parsed = factory.optionsSchema.parse(options, context.at(name));
      return parsed === INVALID ? INVALID : { name, factory, options: parsed, configPath: context.at(name).path };
    },
  };
}

/** `{ use: ./my-filter.js, options: {…} }`: a module loaded beforehand by loadUserFilters; its factory's schema checks `options`. */
function parseUseEntry(input: Record<string, unknown>, plugins: Plugins, baseDirectory: string, context: ParseContext): FilterEntry | typeof INVALID {
  const { use, options = {}, ...rest } = input;
  for (const key of Object.keys(rest)) context.at(key).report(ConfigErrorCode.UNKNOWN_KEY, `unknown key "${key}": a user filter entry has only use and options`);
  if (typeof use !== "string") return context.at("use").report(ConfigErrorCode.TYPE, "expected the path of a JavaScript module, relative to the config file");
  const factory = userFilter(plugins, resolve(baseDirectory, use));
  if (factory === undefined) {
    return context.at("use").report(ConfigErrorCode.REFERENCE, `filter module ${use} was not loaded: loadConfigFile and createGateway import \`use\` modules before validating`);
  }
  if (typeof factory === "string") return context.at("use").report(ConfigErrorCode.REFERENCE, factory);
  if (Object.keys(rest).length > 0) return INVALID;
  const parsed = factory.optionsSchema.parse(options ?? {}, context.at("options"));
  return parsed === INVALID ? INVALID : { name: factory.name, factory, options: parsed, configPath: context.at("options").path };
}

/** A route's `upstream`: `service` here, the rest checked later by that service's endpoint kind. */
const upstreamReferenceSchema: Schema<{ readonly service: string; readonly rest: Record<string, unknown> }> = {
  typeName: "upstream",
  parse(input, context) {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return context.report(ConfigErrorCode.TYPE, "expected a mapping with at least `service`");
    }
    const { service, ...rest } = input as Record<string, unknown>;
    if (service === undefined) return context.at("service").report(ConfigErrorCode.REQUIRED, '"service" is required (the name of an entry under services)');
    if (typeof service !== "string") return context.at("service").report(ConfigErrorCode.TYPE, "expected a service name");
    return { service, rest };
  },
};

function routeSchema(plugins: Plugins, baseDirectory: string) {
  const matchSchema = object(
    {
      path: optional(templateSchema, "google.api.http path template; default: every path"),
      methods: optional(list(methodSchema, { minItems: 1 }), "accepted methods (HEAD is accepted where GET is); default: every method"),
      ...conditionFields(),
    },
    "route match",
  );
  return object(
    {
      id: required(nameSchema, "a unique id, used in logs and errors"),
      match: withDefault(
        matchSchema,
        { path: undefined, methods: undefined, host: undefined, headers: undefined, query: undefined, listeners: undefined, all: undefined, any: undefined, not: undefined },
        "which requests this route takes",
      ),
      filters: withDefault(list(filterEntrySchema(plugins, baseDirectory)), [], "filters for this route, after the global ones, in this order"),
      upstream: required(upstreamReferenceSchema, "the service (and its route options) that answers"),
    },
    "route",
  );
}

/**
 * The top level. Sections are parsed one by one (and routes one at a time),
 * so a mistake in one place never hides the problems of another.
 */
export function sectionSchemas(plugins: Plugins, baseDirectory = process.cwd()) {
  const listenerSchema = tagged(
    "protocol",
    (protocol) => plugins.listeners.find(protocol)?.optionsSchema as Schema<ListenerBaseOptions> | undefined,
    (protocol) => plugins.listeners.unknownMessage(protocol),
  );
  const serviceSchema = tagged<ServiceConfig>(
    "protocol",
    (protocol) => {
      const schema = plugins.endpoints.find(protocol)?.serviceSchema;
      return schema === undefined ? undefined : refine(schema, (options) => ({ protocol, options }));
    },
    (protocol) => plugins.endpoints.unknownMessage(protocol),
  );
  const codecFields: Fields = Object.fromEntries(
    plugins.codecs.keys().map((name) => {
      const factory = plugins.codecs.get(name);
      return [name, withDefault(factory.optionsSchema, schemaDefaults(factory.optionsSchema), `options of the ${name} codec`)];
    }),
  );
  const codecs = object(codecFields, "codecs");
  const shutdown = object({ timeout: withDefault(duration(), 10_000, "how long in-flight requests may take to finish on SIGINT/SIGTERM") }, "shutdown");
  return {
    top: object(
      {
        listeners: required(anything("list of listeners"), "sockets Rosetta accepts requests on"),
        services: withDefault(anything("mapping of services"), {}, "upstream services by name"),
        filters: withDefault(anything("list of filters"), [], "global filters, applied to every request before routing, in this order"),
        routes: withDefault(anything("list of routes"), [], "routes, most specific path first, then in this order"),
        codecs: withDefault(anything("codec options"), {}, "codec limits"),
        protos: withDefault(anything("proto options"), {}, "where .proto files are found"),
        shutdown: withDefault(anything("shutdown options"), {}, "graceful shutdown"),
        redis: optional(anything("redis options"), "the Redis that holds shared state (rate-limit store: redis)"),
        admin: optional(anything("admin options"), "the admin listener (health, readiness, metrics, routes); off unless given"),
        accessLog: optional(anything("access log options"), "one JSON line per request or frame call; off unless set"),
        tracing: optional(anything("tracing options"), "W3C trace context and OpenTelemetry spans exported over OTLP/HTTP; off unless set"),
        openapi: withDefault(anything("openapi options"), {}, "the OpenAPI 3.1 document of the routes: served at /openapi.json unless turned off"),
        workers: withDefault(workersSchema, 1, "processes serving the listeners: auto (one per core) or a number; 1 = a single process"),
      },
      "gateway config",
    ),
    listeners: list(listenerSchema, { minItems: 1 }),
    services: map(serviceSchema, { keyPattern: /^[A-Za-z0-9_.-]+$/, keyHint: "a name of letters, digits, _ . -" }),
    filters: list(filterEntrySchema(plugins, baseDirectory)),
    route: routeSchema(plugins, baseDirectory),
    codecs,
    shutdown,
    redis: redisSectionSchema,
    admin: adminSchema,
    accessLog: accessLogSchema,
    tracing: tracingSchema,
    openapi: openApiSchema,
    protos: object({ include: withDefault(list(string()), [], "import roots for .proto files, relative to the config file") }, "protos"),
  };
}

/**
 * Validates a parsed YAML/JSON document against every plugin's schema and
 * checks the references between sections. Throws a ConfigError listing every
 * problem, each with its path.
 */
export function validateGatewayConfig(input: unknown, plugins: Plugins, baseDirectory = process.cwd()): GatewayConfig {
  const context = new ParseContext([], "", (kind) => (kind === "codec" ? plugins.codecs : plugins.frameFormats).keys());
  const schemas = sectionSchemas(plugins, baseDirectory);
  const top = schemas.top.parse(input, context);
  if (top === INVALID) throw new ConfigError(context.problems);

  const parsedListeners = schemas.listeners.parse(top.listeners, context.at("listeners"));
  const services = schemas.services.parse(top.services, context.at("services"));
  const filters = schemas.filters.parse(top.filters, context.at("filters"));
  const codecs = schemas.codecs.parse(top.codecs, context.at("codecs"));
  const shutdown = schemas.shutdown.parse(top.shutdown, context.at("shutdown"));
  const protos = schemas.protos.parse(top.protos, context.at("protos"));
  const redis = top.redis === undefined ? undefined : schemas.redis.parse(top.redis, context.at("redis"));
  const admin = top.admin === undefined ? undefined : schemas.admin.parse(top.admin, context.at("admin"));
  const accessLog = top.accessLog === undefined ? undefined : schemas.accessLog.parse(top.accessLog, context.at("accessLog"));
  const tracing = top.tracing === undefined ? undefined : schemas.tracing.parse(top.tracing, context.at("tracing"));
  const openapi = schemas.openapi.parse(top.openapi, context.at("openapi"));
  if (parsedListeners !== INVALID && top.workers !== "auto") context.problems.push(...workerProblems({ listeners: parsedListeners }, top.workers));
  let rawRoutes: unknown[] = [];
  if (Array.isArray(top.routes)) rawRoutes = top.routes;
  else context.at("routes").report(ConfigErrorCode.TYPE, "expected a list of routes");
  const parsedRoutes = rawRoutes.map((route, index) => schemas.route.parse(route, context.at("routes").at(index)));

  const listeners = parsedListeners === INVALID ? [] : parsedListeners.map((listener) => Object.freeze({ ...listener, name: listener.name ?? `${listener.protocol}-${listener.port}` }));
  checkUnique(
    listeners.map((listener) => listener.name),
    (index) => context.at("listeners").at(index).at("name"),
    "listener name",
  );
  checkUnique(
    listeners.map((listener) => (listener.port === 0 ? undefined : `${listener.host}:${listener.port}`)),
    (index) => context.at("listeners").at(index).at("port"),
    "listener address",
  );
  checkUnique(
    parsedRoutes.map((route) => (route === INVALID ? undefined : route.id)),
    (index) => context.at("routes").at(index).at("id"),
    "route id",
  );

  // Names are taken from the file itself, so a service with a mistake in it is still known by name.
  const listenerNames = parsedListeners === INVALID ? undefined : listeners.map((listener) => listener.name);
  const serviceNames = typeof top.services === "object" && top.services !== null ? Object.keys(top.services) : [];
  const routes: RouteConfig[] = [];
  parsedRoutes.forEach((route, index) => {
    if (route === INVALID) return;
    const at = context.at("routes").at(index);
    route.match.listeners?.forEach((name, position) => {
      if (listenerNames !== undefined && !listenerNames.includes(name)) {
        at.at("match")
          .at("listeners")
          .at(position)
          .report(ConfigErrorCode.REFERENCE, unknownName("listener", name, listenerNames));
      }
    });
    const { service, rest } = route.upstream;
    if (!serviceNames.includes(service)) {
      at.at("upstream")
        .at("service")
        .report(ConfigErrorCode.REFERENCE, unknownName("service", service, serviceNames));
      return;
    }
    const serviceConfig = services === INVALID ? undefined : services[service];
    if (serviceConfig === undefined) return;
    const upstream = plugins.endpoints.get(serviceConfig.protocol).upstreamSchema.parse(rest, at.at("upstream"));
    if (upstream === INVALID) return;
    const { path, methods, ...conditions } = route.match;
    routes.push(
      Object.freeze({
        id: route.id,
        configPath: `routes[${index}]`,
        template: path,
        methods: methods === undefined ? undefined : new Set(methods),
        condition: compileConditions(conditions),
        listeners: conditions.listeners,
        filters: route.filters,
        service,
        upstream,
      }),
    );
  });
  if (
    context.problems.length > 0 ||
    services === INVALID ||
    filters === INVALID ||
    codecs === INVALID ||
    shutdown === INVALID ||
    protos === INVALID ||
    admin === INVALID ||
    accessLog === INVALID ||
    tracing === INVALID ||
    openapi === INVALID ||
    redis === INVALID
  ) {
    throw new ConfigError(context.problems);
  }
  const protoIncludes = protos.include.map((directory) => resolve(baseDirectory, directory));
  const logTo = accessLog === undefined || accessLog.to === "stdout" || accessLog.to === "stderr" ? accessLog : { ...accessLog, to: resolve(baseDirectory, accessLog.to) };
  return Object.freeze({
    listeners,
    protoIncludes,
    services,
    filters,
    routes,
    codecs,
    shutdownTimeout: shutdown.timeout,
    baseDirectory: resolve(baseDirectory),
    admin,
    document: input,
    accessLog: logTo,
    tracing,
    redis,
    openapi,
    workers: top.workers,
  });

  function checkUnique(values: readonly (string | undefined)[], at: (index: number) => ParseContext, what: string): void {
    const seen = new Map<string, number>();
    values.forEach((value, index) => {
      if (value === undefined) return;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, index);
      else at(index).report(ConfigErrorCode.DUPLICATE, `${what} "${value}" is already used by entry [${first}]`);
    });
  }
}

function unknownName(kind: string, name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  if (hint !== undefined) return `unknown ${kind} "${name}" (did you mean "${hint}"?)`;
  return known.length === 0 ? `unknown ${kind} "${name}" (none is defined)` : `unknown ${kind} "${name}" (defined: ${known.join(", ")})`;
}
