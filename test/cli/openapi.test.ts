import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));
const protos = resolve(fileURLToPath(new URL("../../../test/protos", import.meta.url)));

function rosetta(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : ((error.code as number | null) ?? 1), stdout, stderr }),
    );
  });
}

test("rosetta openapi -c FILE prints the document without binding; --yaml prints the same as YAML", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-openapi-")), "gateway.yaml");
  // Port 1 would need privileges to bind: the command must not try.
  writeFileSync(
    file,
    `listeners: [ { name: web, protocol: http, port: 1 } ]
protos: { include: [ "${protos}" ] }
services:
  showcase: { protocol: grpc, targets: ["127.0.0.1:1"], protos: ["rosetta/test/v1/showcase.proto"] }
openapi: { enabled: false, title: Showcase, version: "0.9.0" }
`,
  );
  const json = await rosetta(["openapi", "-c", file]);
  assert.is(json.code, 0, json.stderr);
  const document = JSON.parse(json.stdout) as { openapi: string; info: unknown; paths: Record<string, Record<string, { operationId: string }>> };
  assert.is(document.openapi, "3.1.0");
  assert.equal(document.info, { title: "Showcase", version: "0.9.0" });
  assert.is(document.paths["/v1/{parent}/items:watch"]?.get?.operationId, "Showcase_WatchItems");
  const yaml = await rosetta(["openapi", "-c", file, "--yaml"]);
  assert.is(yaml.code, 0, yaml.stderr);
  assert.equal(parseYaml(yaml.stdout), document);
  const missing = await rosetta(["openapi"]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, "openapi needs -c FILE");
});

test.run();
