import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../../options/error-codes.js";
import { parsePathTemplate } from "../../pipeline/path-template.js";
import { bindingsOfRule, isHttpMethodName, ruleVerbs, type HttpBinding, type HttpRule } from "./http-rules.js";

/** The bindings of one method as a rule file gives them, and where, for errors. */
export interface FileRule {
  readonly selector: string;
  readonly bindings: readonly HttpBinding[];
  /** `file:line:col` of the rule. */
  readonly location: string;
  /** The config path of the file's entry: `services.x.httpRuleFiles[0]`. */
  readonly configPath: string;
}

const ruleKeys = new Set([...ruleVerbs, "custom", "body", "response_body", "additional_bindings", "selector"]);

/**
 * Reads google.api.Service YAML files (`type: google.api.Service`,
 * `http.rules`), the format of grpc-gateway's standalone mode and Google's
 * API tooling, into rules by selector (`package.Service.Method`). Every
 * problem (unreadable file, bad YAML, a rule without a pattern, a bad
 * template, a selector given twice) is a config problem naming the file's
 * entry and `file:line:col`, all reported at once. Files are read when the
 * endpoint is built, so each reload reads them again, as it does .proto files.
 */
export function loadHttpRuleFiles(files: readonly string[], baseDirectory: string, configPath: string): Map<string, FileRule> {
  const rules = new Map<string, FileRule>();
  const problems: ConfigProblem[] = [];
  files.forEach((file, index) => {
    const entry = `${configPath}.httpRuleFiles[${index}]`;
    const path = resolve(baseDirectory, file);
    const problem = (message: string, location: string = path, code: ConfigErrorCode = ConfigErrorCode.VALUE) => problems.push({ code, path: entry, message, location });
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      problem(`cannot read the rule file: ${(error as Error).message}`, path, ConfigErrorCode.READ);
      return;
    }
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false });
    const at = (node: unknown) => {
      const range = isNode(node) ? node.range : undefined;
      if (range === undefined || range === null) return path;
      const position = lineCounter.linePos(range[0]);
      return `${path}:${position.line}:${position.col}`;
    };
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const position = lineCounter.linePos(error.pos[0]);
        problem(error.message.split("\n")[0] ?? "invalid YAML", `${path}:${position.line}:${position.col}`, ConfigErrorCode.PARSE);
      }
      return;
    }
    const type = document.get("type");
    if (type !== undefined && type !== "google.api.Service") problem(`"type" is "${String(type)}"; a rule file is a google.api.Service`, at(document.get("type", true)));
    const list = document.getIn(["http", "rules"], true);
    if (!isSeq(list)) {
      problem('a rule file needs "http: rules: [ ... ]"', at(document.get("http", true) ?? document.contents));
      return;
    }
    list.items.forEach((item) => {
      const location = at(item);
      const found = readRule(item, document);
      if (typeof found === "string") {
        problem(found, location);
        return;
      }
      const { selector, rule } = found;
      const bindings = bindingsOfRule(rule);
      for (const binding of bindings) {
        const parsed = parsePathTemplate(binding.path);
        if (!parsed.ok) problems.push({ code: ConfigErrorCode.TEMPLATE, path: entry, message: `rule for ${selector}: ${parsed.error}`, location });
      }
      const earlier = rules.get(selector);
      if (earlier !== undefined) {
        problems.push({ code: ConfigErrorCode.DUPLICATE, path: entry, message: `a second rule for ${selector} (the first is at ${earlier.location})`, location });
        return;
      }
      rules.set(selector, { selector, bindings, location, configPath: entry });
    });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return rules;
}

/** One entry of `http.rules`, checked for shape; a string says what is wrong. */
function readRule(item: unknown, document: Document): { selector: string; rule: HttpRule } | string {
  if (!isMap(item)) return "a rule is a mapping with a selector and one of get, put, post, delete, patch or custom";
  const rule = item.toJS(document) as Record<string, unknown>;
  const selector = rule.selector;
  if (typeof selector !== "string" || !/^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$/.test(selector)) return 'a rule needs "selector": the method\'s full name, such as "bookstore.v1.Bookstore.GetShelf"';
  const shape = checkRule(rule, true);
  return shape === undefined ? { selector, rule: rule as HttpRule } : `rule for ${selector}: ${shape}`;
}

/** Checks a rule (or an additional binding, which may not have its own) for exactly one pattern and string fields. */
function checkRule(rule: Record<string, unknown>, top: boolean): string | undefined {
  for (const key of Object.keys(rule)) {
    if (!ruleKeys.has(key) || (!top && (key === "selector" || key === "additional_bindings"))) return `unknown key "${key}"`;
  }
  const patterns = [...ruleVerbs, "custom"].filter((verb) => rule[verb] !== undefined);
  if (patterns.length !== 1) return `needs exactly one of get, put, post, delete, patch or custom (has ${patterns.length === 0 ? "none" : patterns.join(", ")})`;
  for (const key of [...ruleVerbs, "body", "response_body"]) {
    if (rule[key] !== undefined && typeof rule[key] !== "string") return `"${key}" must be a string`;
  }
  const custom = rule.custom;
  if (custom !== undefined && (typeof custom !== "object" || custom === null || typeof Reflect.get(custom, "kind") !== "string" || typeof Reflect.get(custom, "path") !== "string")) {
    return '"custom" needs "kind" and "path" strings';
  }
  const kind: unknown = typeof custom === "object" && custom !== null ? Reflect.get(custom, "kind") : undefined;
  if (typeof kind === "string" && !isHttpMethodName(kind)) return `"custom" kind ${JSON.stringify(kind)} is not an HTTP method`;
  const extra = rule.additional_bindings;
  if (extra === undefined) return undefined;
  if (!Array.isArray(extra)) return '"additional_bindings" must be a list';
  for (const binding of extra) {
    if (typeof binding !== "object" || binding === null || Array.isArray(binding)) return "each of additional_bindings is a mapping";
    const problem = checkRule(binding as Record<string, unknown>, false);
    if (problem !== undefined) return `additional_bindings: ${problem}`;
  }
  return undefined;
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && "range" in value;
}
