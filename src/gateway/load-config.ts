import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import { locateSyntaxError } from "../codecs/json/json-syntax-error.js";
import type { Plugins } from "./plugins.js";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../options/error-codes.js";
import { validateGatewayConfig, type GatewayConfig } from "./gateway-config.js";
import { loadUserFilters } from "./user-filters.js";

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
  // Validation is synchronous; the modules of `use` filter entries are imported before it.
  await loadUserFilters(parsed.data, plugins, dirname(resolve(file)));
  return validateParsed(parsed, file, plugins);
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

function validateParsed({ document, lineCounter, data }: ParsedConfig, file: string, plugins: Plugins): GatewayConfig {
  try {
    return validateGatewayConfig(data, plugins, dirname(resolve(file)));
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
