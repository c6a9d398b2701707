import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../../src/options/error-codes.js";
import { loadConfigFile, parseConfigText } from "../../src/gateway/load-config.js";
import { builtinPlugins } from "../../src/gateway/plugins.js";

const plugins = builtinPlugins();

const base = `
listeners:
  - { name: web, protocol: http, port: 8080 }
services:
  orders:
    protocol: http
    targets: [ "http://127.0.0.1:7001" ]
    timeout: 2s
routes:
  - id: get-order
    match: { path: "/api/orders/{id}", methods: [GET] }
    upstream: { service: orders, path: "/v2/orders/{id}" }
`;

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfigText(text, "gateway.yaml", plugins);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

test("the DESIGN.md example shape is valid and gets defaults, frozen", () => {
  const config = parseConfigText(base, "gateway.yaml", plugins);
  assert.is(config.listeners[0]!.host, "0.0.0.0");
  assert.is(config.routes[0]!.service, "orders");
  assert.is((config.services.orders!.options as { timeout: number }).timeout, 2000);
  assert.is((config.services.orders!.options as { connections: number }).connections, 256);
  assert.ok(Object.isFrozen(config.listeners[0]));
});

const cases: Array<[string, string, ConfigErrorCode, string, RegExp, string?]> = [
  [
    "unknown service with a suggestion",
    base.replace("service: orders,", "service: ordrs,"),
    ConfigErrorCode.REFERENCE,
    "routes[0].upstream.service",
    /unknown service "ordrs" \(did you mean "orders"\?\)/,
    "gateway.yaml:12:",
  ],
  [
    "unknown key with a suggestion",
    base.replace("timeout: 2s", "timout: 2s"),
    ConfigErrorCode.UNKNOWN_KEY,
    "services.orders.timout",
    /unknown key "timout" \(did you mean "timeout"\?\)/,
    "gateway.yaml:8:",
  ],
  ["missing required key", base.replace('    targets: [ "http://127.0.0.1:7001" ]\n', ""), ConfigErrorCode.REQUIRED, "services.orders.targets", /"targets" is required/],
  ["duration without a unit", base.replace("timeout: 2s", "timeout: 2"), ConfigErrorCode.TYPE, "services.orders.timeout", /expected a duration with a unit/],
  ["wrong type", base.replace("port: 8080", "port: eighty"), ConfigErrorCode.TYPE, "listeners[0].port", /expected an integer, got string "eighty"/],
  ["value out of range", base.replace("port: 8080", "port: 70000"), ConfigErrorCode.VALUE, "listeners[0].port", /70000 is outside 0\.\.65535/],
  [
    "unknown listener protocol",
    base.replace("protocol: http, port", "protocol: htp, port"),
    ConfigErrorCode.REFERENCE,
    "listeners[0].protocol",
    /unknown listener protocol "htp" \(did you mean "http"\?\)/,
  ],
  ["unknown filter", `${base}filters: [ request-idd ]\n`, ConfigErrorCode.REFERENCE, "filters[0]", /unknown filter "request-idd" \(did you mean "request-id"\?\)/],
  ["bad filter option", `${base}filters:\n  - set-status: { to: 999 }\n`, ConfigErrorCode.VALUE, "filters[0].set-status.to", /999 is outside 100\.\.599/],
  ["duplicate route id", `${base}  - id: get-order\n    upstream: { service: orders }\n`, ConfigErrorCode.DUPLICATE, "routes[1].id", /route id "get-order" is already used by entry \[0\]/],
  [
    "duplicate listener port",
    base.replace("  - { name: web, protocol: http, port: 8080 }", "  - { name: a, protocol: http, port: 8080 }\n  - { name: b, protocol: http, port: 8080 }"),
    ConfigErrorCode.DUPLICATE,
    "listeners[1].port",
    /listener address "0\.0\.0\.0:8080" is already used/,
  ],
  ["bad path template", base.replace('"/api/orders/{id}"', '"/api/orders/{id"'), ConfigErrorCode.TEMPLATE, "routes[0].match.path", /unclosed "\{"/],
  ["upstream wildcard with nothing to fill it", base.replace('"/v2/orders/{id}"', '"/v2/*/x"'), ConfigErrorCode.TEMPLATE, "routes[0].upstream.path", /wildcard outside a variable/],
  ["bad target URL", base.replace('"http://127.0.0.1:7001"', '"127.0.0.1:7001"'), ConfigErrorCode.VALUE, "services.orders.targets[0]", /is not a URL/],
  [
    "unknown listener in a condition",
    base.replace("methods: [GET] }", "methods: [GET], listeners: [wbe] }"),
    ConfigErrorCode.REFERENCE,
    "routes[0].match.listeners[0]",
    /unknown listener "wbe" \(did you mean "web"\?\)/,
  ],
  ["YAML syntax", "listeners: [ { name: web\n", ConfigErrorCode.PARSE, "", /./, "gateway.yaml:"],
];

for (const [description, text, code, path, message, location] of cases) {
  test(`config: ${description} → ${code} at ${path || "(file)"}`, () => {
    const problems = problemsOf(text);
    const problem = problems.find((candidate) => candidate.code === code && candidate.path === path);
    assert.ok(problem, `expected ${code} at ${path}, got ${JSON.stringify(problems)}`);
    assert.match(problem!.message, message);
    if (location !== undefined) assert.ok(problem!.location?.startsWith(location), `location ${problem!.location}`);
  });
}

test("config: every problem is reported, not just the first", () => {
  const text = base.replace("timeout: 2s", "timeout: 2").replace("service: orders,", "service: nope,").replace("port: 8080", "port: -1");
  const problems = problemsOf(text);
  assert.ok(problems.length >= 2, JSON.stringify(problems));
  assert.ok(problems.some((problem) => problem.path === "services.orders.timeout"));
  assert.ok(problems.some((problem) => problem.path === "listeners[0].port"));
});

test("config: JSON files are read too, and a missing file is ROSETTA_ERR_CONFIG_READ", async () => {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-config-"));
  const file = join(directory, "gateway.json");
  writeFileSync(file, JSON.stringify({ listeners: [{ protocol: "http", port: 0 }], routes: [] }));
  const config = await loadConfigFile(file, plugins);
  assert.is(config.listeners[0]!.name, "http-0");
  try {
    await loadConfigFile(join(directory, "missing.yaml"), plugins);
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.is((error as ConfigError).problems[0]!.code, ConfigErrorCode.READ);
  }
});

test.run();
