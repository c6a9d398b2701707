import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml } from "yaml";
import { sectionSchemas } from "../../src/gateway/gateway-config.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";
import { configSourceSchema } from "../../src/gateway/etcd-source.js";
import { listenerBaseFields } from "../../src/listeners/listener.js";
import { circuitBreakerSchema } from "../../src/endpoints/circuit-breaker.js";
import { retrySchema } from "../../src/endpoints/retry-policy.js";
import { listenerTlsSchema, upstreamTlsSchema } from "../../src/tls/tls-options.js";
import { INVALID, ParseContext, fieldsOf, object, required, string, type Field, type Fields, type Schema } from "../../src/options/schema.js";

/**
 * The README's option tables against the plugins' own schemas: every key a
 * schema has is documented, every documented key exists, and every default
 * written as a backticked literal (`15s`, `4MiB`, `[]`, `ndjson`) is the
 * schema's default. So the docs cannot drift from the code.
 */
const plugins = builtinPlugins();
const sections = sectionSchemas(plugins);
const readme = readFileSync("README.md", "utf8");

interface Row {
  readonly keys: readonly string[];
  readonly defaultCell: string;
}

interface Table {
  readonly heading: string;
  readonly rows: readonly Row[];
}

/** Cells of a table row, splitting on pipes outside backticks. */
function cells(line: string): string[] {
  const result: string[] = [];
  let current = "";
  let quoted = false;
  for (const character of line.trim().replace(/^\||\|$/g, "")) {
    if (character === "`") quoted = !quoted;
    if (character === "|" && !quoted) {
      result.push(current.trim());
      current = "";
    } else {
      current += character;
    }
  }
  result.push(current.trim());
  return result;
}

const backticked = (text: string) => [...text.matchAll(/`([^`]*)`/g)].map((match) => match[1] ?? "");

/** Every `| key | default | meaning |` table, with the `###` heading above it. */
function optionTables(markdown: string): Table[] {
  const tables: Table[] = [];
  const lines = markdown.split("\n");
  let heading = "";
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith("#")) heading = line.replace(/^#+\s*/, "");
    if (!/^\|\s*key\s*\|\s*default\s*\|/.test(line)) continue;
    const rows: Row[] = [];
    for (index += 2; index < lines.length && lines[index]!.startsWith("|"); index++) {
      const [keyCell = "", defaultCell = ""] = cells(lines[index]!);
      rows.push({ keys: backticked(keyCell), defaultCell });
    }
    tables.push({ heading, rows });
  }
  return tables;
}

/** The defaults a cell gives as literals, one per key, or undefined when the cell is prose (`the service's`, `as \`ws\``). */
function literalDefaults(cell: string, keyCount: number): readonly string[] | undefined {
  if (!/^`[^`]*`(\s*[,/]\s*`[^`]*`)*$/.test(cell)) return undefined;
  const literals = backticked(cell);
  if (literals.length === keyCount) return literals;
  return literals.length === 1 ? Array(keyCount).fill(literals[0]) : undefined;
}

const field = (schema: Schema<unknown>): Field<unknown> => required(schema, "");

function serviceTable(protocol: string): Fields | undefined {
  const schema = plugins.endpoints.find(protocol)?.serviceSchema;
  return schema === undefined ? undefined : fieldsOf(schema);
}

/** The schema fields a table documents, by its heading; `inherited` keys may be documented elsewhere. */
function fieldsFor(heading: string): { fields: Fields; inherited: readonly string[] } | undefined {
  let match = /^`listeners\[\]` — protocol `([\w-]+)`$/.exec(heading);
  if (match !== null) {
    const protocol = match[1]!;
    const schema = plugins.listeners.find(protocol)?.optionsSchema;
    const fields = schema === undefined ? undefined : fieldsOf(schema);
    // name, protocol, host and port are the same for every listener: the http table documents them.
    return fields === undefined ? undefined : { fields, inherited: protocol === "http" ? [] : Object.keys(listenerBaseFields()) };
  }
  match = /^`services\.<name>` — protocol `([\w-]+)`$/.exec(heading);
  if (match !== null) {
    const fields = serviceTable(match[1]!);
    // Balancing and health checks are the same for every protocol: one table documents them.
    return fields === undefined ? undefined : { fields, inherited: ["loadBalancer", "healthCheck"] };
  }
  match = /^`routes\[\]\.upstream` for a `([\w-]+)` service$/.exec(heading);
  if (match !== null) {
    const schema = plugins.endpoints.find(match[1]!)?.upstreamSchema;
    const fields = schema === undefined ? undefined : fieldsOf(schema);
    return fields === undefined ? undefined : { fields, inherited: [] };
  }
  if (heading === "`routes[]`") {
    // The routes table documents `upstream` for an http service: `service` and the http endpoint's route options.
    const upstream = object({ service: required(string(), ""), ...fieldsOf(plugins.endpoints.get("http").upstreamSchema) });
    return { fields: { ...sections.route.fields, upstream: field(upstream) }, inherited: [] };
  }
  if (heading === "Circuit breaking and retries") return { fields: { circuitBreaker: field(circuitBreakerSchema), retry: field(retrySchema) }, inherited: [] };
  if (heading === "Tracing and the access log") return { fields: { accessLog: field(sections.accessLog), tracing: field(sections.tracing) }, inherited: [] };
  if (heading === "`listeners[].tls`") return { fields: fieldsOf(listenerTlsSchema)!, inherited: [] };
  if (heading === "`services.<name>.tls`") return { fields: fieldsOf(upstreamTlsSchema)!, inherited: [] };
  match = /^`([\w-]+)` options$/.exec(heading);
  if (match !== null) {
    // A filter's own table, under its section: "#### `jwt` options".
    const schema = plugins.filters.find(match[1]!)?.optionsSchema;
    const fields = schema === undefined ? undefined : fieldsOf(schema);
    return fields === undefined ? undefined : { fields, inherited: [] };
  }
  if (heading === "`redis`") return { fields: sections.redis.fields, inherited: [] };
  if (heading === "`services.<name>` — balancing and health checks (every protocol)") {
    // One table for every protocol: the http health check's keys and the grpc one's `service`.
    const http = serviceTable("http")!;
    const healthCheck = object({ ...fieldsOf(http.healthCheck!.schema), ...fieldsOf(serviceTable("grpc")!.healthCheck!.schema) });
    return { fields: { loadBalancer: http.loadBalancer!, healthCheck: { ...http.healthCheck!, schema: healthCheck } }, inherited: [] };
  }
  if (heading === "`codecs`, `shutdown`") return { fields: { codecs: field(sections.codecs), shutdown: field(sections.shutdown) }, inherited: [] };
  if (heading === "Metrics and the admin listener") return { fields: { admin: field(sections.admin) }, inherited: [] };
  if (heading === "Hot reload and the fleet") return { fields: { configSource: field(configSourceSchema) }, inherited: [] };
  if (heading === "OpenAPI") return { fields: { openapi: field(sections.openapi) }, inherited: [] };
  if (heading === "All cores: `workers`") return { fields: { workers: fieldsOf(sections.top)!.workers! }, inherited: [] };
  return undefined;
}

function resolve(fields: Fields, key: string): Field<unknown> | undefined {
  let current: Fields | undefined = fields;
  let found: Field<unknown> | undefined;
  for (const segment of key.split(".")) {
    found = current !== undefined && Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (found === undefined) return undefined;
    current = fieldsOf(found.schema);
  }
  return found;
}

/** Schema keys the table does not document: a key is documented itself, or all of its sub-keys are. */
function undocumented(fields: Fields, documented: ReadonlySet<string>, prefix = ""): string[] {
  const missing: string[] = [];
  for (const [key, entry] of Object.entries(fields)) {
    const path = prefix + key;
    if (documented.has(path)) continue;
    const nested = fieldsOf(entry.schema);
    const below = nested === undefined ? [] : undocumented(nested, documented, `${path}.`);
    if (nested === undefined || below.length === Object.keys(nested).length) missing.push(path);
    else missing.push(...below);
  }
  return missing;
}

const names = new ParseContext([], "", (kind) => (kind === "codec" ? plugins.codecs : plugins.frameFormats).keys());
const comparable = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

/** A documented literal is the default if the schema reads it (as YAML, or as the bare string) to the same value. */
function isDefault(literal: string, entry: Field<unknown>): boolean {
  let yamlValue: unknown = literal;
  try {
    yamlValue = parseYaml(literal);
  } catch {
    // not YAML: only the bare string is tried
  }
  return [yamlValue, literal].some((candidate) => {
    const parsed = entry.schema.parse(candidate, new ParseContext([], "", names.names));
    return parsed !== INVALID && isDeepStrictEqual(comparable(parsed), comparable(entry.defaultValue));
  });
}

function drift(tables: readonly Table[]): string[] {
  const problems: string[] = [];
  for (const table of tables) {
    const schema = fieldsFor(table.heading);
    if (schema === undefined) {
      problems.push(`"${table.heading}": an option table whose heading names no plugin schema`);
      continue;
    }
    const documented = new Set(table.rows.flatMap((row) => row.keys));
    for (const key of undocumented(schema.fields, documented)) {
      if (!schema.inherited.includes(key)) problems.push(`"${table.heading}": \`${key}\` is not documented`);
    }
    for (const row of table.rows) {
      const literals = literalDefaults(row.defaultCell, row.keys.length);
      row.keys.forEach((key, index) => {
        const entry = resolve(schema.fields, key);
        if (entry === undefined) {
          problems.push(`"${table.heading}": \`${key}\` is documented but no such option exists`);
          return;
        }
        if (entry.required && !row.defaultCell.startsWith("required")) problems.push(`"${table.heading}": \`${key}\` is required, documented default ${row.defaultCell}`);
        const literal = literals?.[index];
        if (literal === undefined || entry.defaultValue === undefined) return;
        if (!isDefault(literal, entry)) problems.push(`"${table.heading}": \`${key}\` is documented with default \`${literal}\`, the schema's is ${JSON.stringify(entry.defaultValue)}`);
      });
    }
  }
  return problems;
}

const tables = optionTables(readme);

test("every option table in the README matches its schema: keys documented, no unknown keys, literal defaults equal", () => {
  assert.equal(drift(tables), []);
});

test("every listener and service protocol has its option tables", () => {
  const headings = new Set(tables.map((table) => table.heading));
  const missing = [
    ...plugins.listeners.keys().map((protocol) => `\`listeners[]\` — protocol \`${protocol}\``),
    ...plugins.endpoints.keys().map((protocol) => `\`services.<name>\` — protocol \`${protocol}\``),
    ...plugins.endpoints
      .keys()
      .filter((protocol) => protocol !== "http")
      .map((protocol) => `\`routes[].upstream\` for a \`${protocol}\` service`),
    "`routes[]`",
    "`codecs`, `shutdown`",
  ].filter((heading) => !headings.has(heading));
  assert.equal(missing, []);
});

test("the checker finds drift: a wrong default, an unknown key and a missing key are reported", () => {
  const [grpc] = optionTables(readme.replace("| `timeout` | `15s` | deadline of every call", "| `timeout` | `20s` | deadline of every call").replace("| `reflection` |", "| `reflexion` |")).filter(
    (table) => table.heading === "`services.<name>` — protocol `grpc`",
  );
  assert.ok(grpc !== undefined);
  const problems = drift([grpc]);
  assert.ok(
    problems.some((problem) => problem.includes("`timeout` is documented with default `20s`, the schema's is 15000")),
    problems.join("\n"),
  );
  assert.ok(
    problems.some((problem) => problem.includes("`reflexion` is documented but no such option exists")),
    problems.join("\n"),
  );
  assert.ok(
    problems.some((problem) => problem.includes("`reflection` is not documented")),
    problems.join("\n"),
  );
});

test.run();
