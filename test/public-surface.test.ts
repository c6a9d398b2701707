import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as surface from "../src/index.js";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const read = (path: string) => readFileSync(resolve(root, path), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  exports: { ".": { types: string; default: string }; "./package.json": string };
};

test("the README's embedding example is test/readme-embedding.ts, which tsc type-checks against the public surface", () => {
  const readme = read("README.md");
  const section = readme.slice(readme.indexOf("## Embedding Rosetta"));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, "README has no ```ts block under ## Embedding Rosetta");
  assert.fixture(block, read("test/readme-embedding.ts"));
});

test("every file package.json points at exists after the build", () => {
  const named = [pkg.main, pkg.types, pkg.exports["."].types, pkg.exports["."].default, pkg.exports["./package.json"], ...Object.values(pkg.bin)];
  for (const path of named) assert.ok(existsSync(resolve(root, path)), `${path} (named in package.json) is missing`);
  assert.is(pkg.main, pkg.exports["."].default);
  assert.is(pkg.types, pkg.exports["."].types);
});

test('the package\'s own name resolves to the public surface (what `import … from "rosetta-gateway"` loads)', async () => {
  const byName = (await import("rosetta-gateway")) as typeof surface;
  assert.is(byName.createGateway, surface.createGateway);
  assert.is(byName.GatewayError, surface.GatewayError);
});

test("the values a program needs are exported", () => {
  const values = [
    "createGateway",
    "builtinPlugins",
    "validateGatewayConfig",
    "loadConfigFile",
    "emptyBody",
    "bytesBody",
    "valueBody",
    "createRequestEnvelope",
    "composeFilters",
    "createContextKey",
    "GatewayError",
    "StatusCode",
    "errorResponse",
    "ConfigError",
    "ConfigErrorCode",
    "documentShape",
    "createLogger",
    "silentLogger",
  ];
  for (const name of values) assert.ok((surface as Record<string, unknown>)[name] !== undefined, `${name} is not exported`);
  assert.type(surface.options.object, "function");
  assert.type(surface.options.duration, "function");
});

test("the published files hold the library, its declarations, the CLI and the bundled protos, and no tests", () => {
  const listing = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const files = new Set((JSON.parse(listing) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path));
  for (const path of [
    "dist/src/index.js",
    "dist/src/index.d.ts",
    "dist/src/gateway/inject.d.ts",
    "dist/src/cli/main.js",
    "bin/rosetta.js",
    "protos/google/rpc/status.proto",
    "protos/rosetta/v1/frame.proto",
  ]) {
    assert.ok(files.has(path), `${path} is not published`);
  }
  assert.equal(
    [...files].filter((path) => path.startsWith("dist/test") || path.startsWith("dist/benchmarks") || path.endsWith(".map")),
    [],
  );
});

test.run();
