#!/usr/bin/env node
// Restructuring metrics for Rosetta (issue 11). Read-only; no dependencies.
//   node measure.mjs [repoRoot] [--list]
// Prints: files/lines (src, test, benchmarks), `as` casts, non-null assertions (`x!`),
// imports that point up or sideways in the layer order, per file when --list.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname, resolve, relative } from "node:path";

const root = resolve(process.argv.find((a, i) => i > 1 && !a.startsWith("--")) ?? ".");
const list = process.argv.includes("--list");

// Layer ranks, bottom (0) to top. First matching prefix wins; covers the old and the new layout.
// Same rank, different folder = sideways (forbidden too).
const layers = [
  ["core/", 0],
  ["http/", 0, "core"], // old src/http (header helpers) → core/
  ["options/", 1],
  ["observability/", 1],
  ["config/schema.ts", 1, "options"],
  ["config/duration.ts", 1, "options"],
  ["config/error-codes.ts", 1, "options"], // old home of the options toolkit
  ["protos/", 2],
  ["tls/", 2],
  ["schema/", 2, "protos"], // old src/schema = protobuf descriptors
  ["protojson/", 3],
  ["codecs/protojson/", 3, "protojson"],
  ["codecs/", 4],
  ["frames/", 5],
  ["soap/", 5],
  ["codecs/soap/", 4, "codecs"], // old SOAP lived inside codecs
  ["pipeline/", 6],
  ["filters/", 6],
  ["endpoints/", 7],
  ["listeners/", 7],
  ["openapi/", 7],
  ["config/", 8, "gateway"],
  ["gateway/", 8, "gateway"],
  ["gateway.ts", 8, "gateway"],
  ["plugins.ts", 8, "gateway"],
  ["index.ts", 9, "index"],
  ["demo/", 9],
  ["bench/", 9],
  ["cli/", 10],
];
const layerOf = (path) => layers.find(([prefix]) => path.startsWith(prefix));
const rankOf = (path) => layerOf(path)?.[1];
/** Sideways = same rank, different group (the old composition files config/, gateway.ts, plugins.ts are one group; old src/http is core). */
const groupOf = (path) => layerOf(path)?.[2] ?? folderOf(path);
const folderOf = (path) => {
  const p = path.split("/");
  return p.length === 1 ? path : p[0];
};
// Protocol folders must not import one another (listeners/http → listeners/ws is the one allowed pair).
const protocolOf = (path) => /^(listeners|endpoints)\/([^/]+)\//.exec(path)?.slice(1, 3).join("/");
const allowedSideways = new Set(["listeners/http -> listeners/ws"]);

function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    statSync(p).isDirectory() ? walk(p, out) : /\.(ts|mts)$/.test(p) && out.push(p);
  }
  return out;
}

/** Code with comments, strings, template text and regex literals blanked; newlines kept so line numbers hold. */
function codeOnly(text) {
  const blank = (s) => s.replace(/[^\n]/g, " ");
  let out = "",
    i = 0;
  const n = text.length;
  const lastSignificant = () => {
    const t = out.trimEnd();
    return /\breturn$/.test(t) ? "(" : t.slice(-1);
  };
  while (i < n) {
    const c = text[i],
      d = text[i + 1];
    if (c === "/" && d === "/") {
      while (i < n && text[i] !== "\n") {
        out += " ";
        i++;
      }
      continue;
    }
    if (c === "/" && d === "*") {
      const e = text.indexOf("*/", i + 2);
      const end = e < 0 ? n : e + 2;
      out += blank(text.slice(i, end));
      i = end;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < n && text[j] !== c) {
        if (text[j] === "\\") j++;
        j++;
      }
      out += c + blank(text.slice(i + 1, j)) + c;
      i = j + 1;
      continue;
    }
    if (c === "/" && /^$|[=(,:;!&|?{}[]/.test(lastSignificant())) {
      let j = i + 1,
        cls = false;
      while (j < n && text[j] !== "\n" && (text[j] !== "/" || cls)) {
        if (text[j] === "\\") j++;
        else if (text[j] === "[") cls = true;
        else if (text[j] === "]") cls = false;
        j++;
      }
      out += `/${blank(text.slice(i + 1, j))}/`;
      i = j + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const importRe = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function measureTree(dir) {
  const files = walk(join(root, dir));
  const lines = files.map((f) => readFileSync(f, "utf8").split("\n").length - (readFileSync(f, "utf8").endsWith("\n") ? 1 : 0));
  const sorted = [...lines].sort((a, b) => a - b);
  return { files, lines: lines.reduce((a, b) => a + b, 0), median: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}

const report = { root };
const casts = [],
  bangs = [],
  up = [],
  sideways = [];
for (const dir of ["src", "test", "benchmarks"]) {
  const tree = measureTree(dir);
  report[dir] = { files: tree.files.length, lines: tree.lines, medianLines: tree.median };
  let c = 0,
    b = 0;
  for (const file of tree.files) {
    const rel = relative(root, file);
    const raw = readFileSync(file, "utf8");
    const code = codeOnly(raw).split("\n");
    code.forEach((line, index) => {
      if (/^\s*(import|export)\b.*\bfrom\b/.test(line) || /^\s*import\s/.test(line)) return;
      for (const _ of line.matchAll(/(?<![\w$.])as\s+(?!const\b)(?=[\w{[(<"'`])/g)) {
        c++;
        casts.push(`${rel}:${index + 1}`);
      }
      for (const _ of line.matchAll(/[\w$)\]]!(?![=])/g)) {
        b++;
        bangs.push(`${rel}:${index + 1}`);
      }
    });
    if (dir !== "src") continue;
    const from = relative(join(root, "src"), file);
    for (const m of raw.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith(".")) continue;
      const target = relative(join(root, "src"), resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      if (target.startsWith("..")) continue;
      const [rf, rt] = [rankOf(from), rankOf(target)];
      const edge = `src/${from} -> src/${target}`;
      if (rf === undefined || rt === undefined) {
        sideways.push(`UNRANKED ${edge}`);
        continue;
      }
      if (rt > rf) up.push(`${edge}  (${rf}→${rt})`);
      else if (rt === rf && groupOf(from) !== groupOf(target)) sideways.push(edge);
      else {
        const [pf, pt] = [protocolOf(from), protocolOf(target)];
        if (pf !== undefined && pt !== undefined && pf !== pt && !allowedSideways.has(`${pf} -> ${pt}`)) sideways.push(`${edge} (protocol folders)`);
      }
    }
  }
  report[dir].asCasts = c;
  report[dir].nonNull = b;
}
report.upImports = up.length;
report.sidewaysImports = sideways.length;
console.log(JSON.stringify(report, null, 2));
if (list) {
  console.log(`\n# imports that point up\n${up.join("\n")}`);
  console.log(`\n# sideways\n${sideways.join("\n")}`);
  console.log(`\n# as casts\n${casts.join("\n")}`);
  console.log(`\n# non-null assertions\n${bangs.join("\n")}`);
}
