import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Codecs are chosen in one place, the codec step (src/codecs/codec-step.ts):
 * outside src/codecs/, nothing looks a codec up by Accept or media type
 * itself. Named accessors (codecs.json, codecs.xml, get/find by a configured
 * name) stay open to everyone.
 */
const negotiation = /\.(accepted|forMediaType|negotiate)\(/;

// Line comments start a line or follow a space (a URL's "://" is not one).
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "");

/** Paths relative to src/ of the lines that negotiate codecs outside src/codecs/. */
function negotiatingLines(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of files) {
    if (path.startsWith("codecs/")) continue;
    withoutComments(text)
      .split("\n")
      .forEach((line, index) => {
        if (negotiation.test(line)) found.push(`src/${path}:${index + 1}: ${line.trim()}`);
      });
  }
  return found;
}

function sources(directory: string, found: string[] = []): string[] {
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) sources(path, found);
    else if (path.endsWith(".ts")) found.push(path);
  }
  return found;
}

test("the rule itself: negotiation outside src/codecs/ is found, named accessors and codecs/ itself are not", () => {
  const files = new Map([
    ["listeners/http/x.ts", "const codec = this.#context.codecs.negotiate(accept, type);"],
    ["endpoints/grpc/y.ts", "const codec = codecs.forMediaType(mediaType) ?? json;"],
    ["endpoints/http/z.ts", "const asked = codecs.accepted(accept);"],
    ["listeners/ftp/w.ts", "const codec = codecs.find(name) ?? codecs.json; // codecs.accepted(accept) in a comment"],
    ["codecs/codec-step.ts", "const asked = codecs.accepted(inputs.accept);"],
  ]);
  assert.equal(
    negotiatingLines(files).map((line) => line.split(":")[0]),
    ["src/listeners/http/x.ts", "src/endpoints/grpc/y.ts", "src/endpoints/http/z.ts"],
  );
});

test("no file outside src/codecs/ calls .accepted(, .forMediaType( or .negotiate(", () => {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../../src");
  const files = new Map(sources(src).map((file) => [relative(src, file), readFileSync(file, "utf8")]));
  assert.ok(files.has("codecs/codec-step.ts"), "the source tree was found");
  assert.equal(negotiatingLines(files), []);
});

test.run();
