import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import { locateSyntaxError } from "../codecs/json/json-syntax-error.js";
import type { Plugins } from "./plugins.js";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../options/error-codes.js";
import { validateGatewayConfig, type GatewayConfig } from "./gateway-config.js";
import { loadUserFilters } from "./user-filters.js";
import { configSourceSchema, etcdLocation, readEtcdKey, type EtcdSource } from "./etcd-source.js";
import { INVALID, ParseContext } from "../options/schema.js";

/**
 * Reads a YAML or JSON config file (YAML 1.2 is a superset of JSON, so one
 * parser serves both) and validates it. Every problem is located as
 * `file:line:column` where its path exists in the file.
 */
export async function loadConfigFile(file: string, plugins: Plugins): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError([{ code: ConfigErrorCode.READ, path: "", message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }]);
  }
  const parsed = parseConfigDocument(text, file);
  const source = configSourceOf(parsed, file);
  if (source !== undefined) return loadFromEtcd(source, file, plugins);
  // Validation is synchronous; the modules of `use` filter entries are imported before it.
  await loadUserFilters(parsed.data, plugins, dirname(resolve(file)));
  return validateParsed(parsed, file, plugins);
}

/**
 * `configSource: { etcd }`: the file only says where the config lives. The
 * key's document is parsed and validated as a file's would be, located as
 * `etcd:<key>:line:col`; relative paths in it (protos, user filters) resolve
 * against the -c file's folder.
 */
async function loadFromEtcd(source: EtcdSource, file: string, plugins: Plugins): Promise<GatewayConfig> {
  const { text, revision } = await readEtcdKey(source);
  const location = etcdLocation(source);
  const parsed = parseConfigDocument(text, location);
  const data = parsed.data as Record<string, unknown> | null;
  if (typeof data === "object" && data !== null && "configSource" in data) {
    const problem = { code: ConfigErrorCode.VALUE, path: "configSource", message: "a config read from etcd cannot name another configSource" };
    throw new ConfigError([locate(problem, parsed.document, parsed.lineCounter, location)]);
  }
  const baseDirectory = dirname(resolve(file));
  await loadUserFilters(parsed.data, plugins, baseDirectory);
  const config = validateParsed(parsed, location, plugins, baseDirectory);
  return Object.freeze({ ...config, configSource: Object.freeze({ etcd: source, revision }) });
}

/** The file's `configSource`, validated: it must be the file's only key. */
function configSourceOf(parsed: ParsedConfig, file: string): EtcdSource | undefined {
  const data = parsed.data;
  if (typeof data !== "object" || data === null || Array.isArray(data) || !("configSource" in data)) return undefined;
  const context = new ParseContext();
  for (const key of Object.keys(data)) {
    if (key !== "configSource") context.at(key).report(ConfigErrorCode.UNKNOWN_KEY, "a file with configSource holds nothing else: the whole config is read from the source");
  }
  const source = configSourceSchema.parse((data as Record<string, unknown>).configSource, context.at("configSource"));
  if (context.problems.length > 0 || source === INVALID) {
    throw new ConfigError(context.problems.map((problem) => locate(problem, parsed.document, parsed.lineCounter, file)));
  }
  return source.etcd;
}

/** Parses and validates config text; modules of `use` filter entries must have been loaded (loadUserFilters) with these plugins. */
export function parseConfigText(text: string, file: string, plugins: Plugins): GatewayConfig {
  return validateParsed(parseConfigDocument(text, file), file, plugins);
}

interface ParsedConfig {
  readonly document: Document;
  readonly lineCounter: LineCounter;
  readonly data: unknown;
}

function parseConfigDocument(text: string, file: string): ParsedConfig {
  const lineCounter = new LineCounter();
  // YAML reads JSON too, but words a JSON mistake in YAML's terms; a .json file gets JSON's.
  if (file.endsWith(".json")) checkJsonSyntax(text, file);
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { code: ConfigErrorCode.PARSE, path: "", message: error.message.split("\n")[0]!, location: `${file}:${position.line}:${position.col}` };
      }),
    );
  }
  return { document, lineCounter, data: document.toJS({ maxAliasCount: 100 }) };
}

function validateParsed({ document, lineCounter, data }: ParsedConfig, file: string, plugins: Plugins, baseDirectory = dirname(resolve(file))): GatewayConfig {
  try {
    return validateGatewayConfig(data, plugins, baseDirectory);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.problems.map((problem) => locate(problem, document, lineCounter, file)));
    throw error;
  }
}

/** Finds the deepest node of the file on the problem's path; a missing key points at its parent. */
function locate(problem: ConfigProblem, document: Document, lineCounter: LineCounter, file: string): ConfigProblem {
  const segments = problem.path.match(/[^.[\]]+|\[\d+\]/g)?.map((segment) => (segment.startsWith("[") ? Number(segment.slice(1, -1)) : segment)) ?? [];
  for (let length = segments.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(segments.slice(0, length), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range !== undefined) {
      const position = lineCounter.linePos(range[0]);
      return { ...problem, location: `${file}:${position.line}:${position.col}` };
    }
  }
  return { ...problem, location: file };
}

function checkJsonSyntax(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch {
    const { offset, reason } = locateSyntaxError(text);
    const before = text.slice(0, offset).split("\n");
    const location = `${file}:${before.length}:${before.at(-1)!.length + 1}`;
    throw new ConfigError([{ code: ConfigErrorCode.PARSE, path: "", message: `invalid JSON: ${reason}`, location }]);
  }
}
