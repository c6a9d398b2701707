import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The layer rule of DESIGN.md ("Layers"): an import in src/ points down this
 * table or stays in its own folder. Same rank, other folder is sideways and
 * refused too. Protocol folders (listeners/<p>/, endpoints/<p>/) use their
 * parent's shared files, never each other. Heavy libraries stay at the edges.
 */
const layers: Readonly<Record<string, number>> = {
  core: 0,
  options: 1,
  observability: 1,
  protos: 2,
  tls: 2,
  protojson: 3,
  codecs: 4,
  frames: 5,
  soap: 5,
  pipeline: 6,
  filters: 6,
  endpoints: 7,
  listeners: 7,
  openapi: 7,
  gateway: 8,
  index: 9,
  demo: 9,
  bench: 9,
  cli: 10,
};
/** An HTTP port upgrades to WebSocket: the one protocol folder that uses another. */
const allowedAcross = new Set(["listeners/http -> listeners/ws"]);
/** npm packages and the folders that may import them; node: builtins are free. */
const packages: Readonly<Record<string, readonly string[]>> = {
  protobufjs: ["protos", "protojson", "codecs", "frames", "soap", "endpoints/grpc", "filters", "openapi", "demo", "bench"],
  pino: ["observability"],
  "@opentelemetry/api": ["observability"],
  "@opentelemetry/sdk-trace-base": ["observability"],
  "@opentelemetry/exporter-trace-otlp-http": ["observability"],
  "@opentelemetry/resources": ["observability"],
  "prom-client": ["observability"],
  undici: ["endpoints/http"],
  "@grpc/grpc-js": ["endpoints/grpc", "demo"],
  ws: ["listeners/ws", "bench"],
  "ftp-srv": ["listeners/ftp"],
  yaml: ["gateway", "endpoints/grpc"],
  ioredis: ["filters"],
  ajv: ["filters"],
  "ajv-formats": ["filters"],
  jose: ["filters"],
  bcryptjs: ["filters"],
  "hdr-histogram-js": ["bench"],
};

const folderOf = (path: string) => path.split("/")[0]!.replace(/\.ts$/, "");
const protocolOf = (path: string) => /^(listeners|endpoints)\/([^/]+)\//.exec(path)?.slice(1, 3).join("/");

/** What is wrong with one import (paths relative to src/; `to` a file, or a package name), or undefined. */
function violation(from: string, to: string, isPackage = false): string | undefined {
  if (isPackage) {
    const name = to.startsWith("@") ? to.split("/").slice(0, 2).join("/") : to.split("/")[0]!;
    if (name.startsWith("node:")) return undefined;
    const allowed = packages[name];
    if (allowed === undefined) return `package "${name}" is not in the package table of test/architecture/layers.test.ts`;
    return allowed.some((folder) => from.startsWith(`${folder}/`)) ? undefined : `package "${name}" belongs in ${allowed.join(", ")}`;
  }
  const [a, b] = [folderOf(from), folderOf(to)];
  const [ra, rb] = [layers[a], layers[b]];
  if (ra === undefined || rb === undefined) return `src/${ra === undefined ? a : b} is not in the layer table (DESIGN.md "Layers" and test/architecture/layers.test.ts)`;
  if (rb > ra) return `points up: ${a} (${ra}) → ${b} (${rb})`;
  if (rb === ra && a !== b) return `sideways: ${a} → ${b} (both layer ${ra})`;
  const [pa, pb] = [protocolOf(from), protocolOf(to)];
  if (pa !== undefined && pb !== undefined && pa !== pb && !allowedAcross.has(`${pa} -> ${pb}`)) return `across protocol folders: ${pa} → ${pb}`;
  return undefined;
}

const importPattern = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

function sources(directory: string, found: string[] = []): string[] {
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) sources(path, found);
    else if (path.endsWith(".ts")) found.push(path);
  }
  return found;
}

test("the rule itself, row by row", () => {
  const rows: Array<[string, string, string, boolean, boolean?]> = [
    ["down", "listeners/http/http-listener.ts", "core/envelope.ts", true],
    ["same folder", "codecs/xml/xml-codec.ts", "codecs/codec.ts", true],
    ["up", "core/body.ts", "codecs/body-shape.ts", false],
    ["sideways", "endpoints/tcp/tcp-endpoint.ts", "listeners/listener.ts", false],
    ["across protocol folders", "endpoints/http/http-endpoint.ts", "endpoints/grpc/grpc-status.ts", false],
    ["a protocol folder uses its parent's shared files", "listeners/ws/ws-connection.ts", "listeners/frame-session.ts", true],
    ["the allowed pair", "listeners/http/http-listener.ts", "listeners/ws/ws-acceptor.ts", true],
    ["a folder missing from the table", "core/x.ts", "misc/y.ts", false],
    ["protobufjs in core", "core/body.ts", "protobufjs", false, true],
    ["protobufjs in protojson", "protojson/binary.ts", "protobufjs", true, true],
    ["a node: builtin anywhere", "core/body.ts", "node:stream", true, true],
    ["a package subpath", "protos/descriptor-set.ts", "protobufjs/ext/descriptor/index.js", true, true],
  ];
  for (const [what, from, to, ok, isPackage] of rows) assert.is(violation(from, to, isPackage) === undefined, ok, what);
});

test("every import in src/ points down the layers, and packages stay at the edges", () => {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../../src");
  const problems: string[] = [];
  for (const file of sources(src)) {
    const from = relative(src, file);
    for (const match of withoutComments(readFileSync(file, "utf8")).matchAll(importPattern)) {
      const specifier = match[1] ?? match[2]!;
      if (!specifier.startsWith(".")) {
        const why = violation(from, specifier, true);
        if (why !== undefined) problems.push(`src/${from} → ${specifier}: ${why}`);
        continue;
      }
      const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
      const to = relative(src, target);
      const why = to.startsWith("..") || !existsSync(target) ? "not a file in src/" : violation(from, to);
      if (why !== undefined) problems.push(`src/${from} → ${specifier}: ${why}`);
    }
  }
  assert.equal(problems, []);
});

test.run();
