import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));
const protos = resolve(fileURLToPath(new URL("../../../test/protos", import.meta.url)));

function rosetta(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000 }, (error, stdout, stderr) => done({ code: error === null ? 0 : ((error.code as number | null) ?? 1), stdout, stderr }));
  });
}

test("rosetta routes -c FILE prints every route, the gRPC annotation ones included, without binding", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-routes-")), "gateway.yaml");
  // Port 1 would need privileges to bind: the command must not try.
  writeFileSync(
    file,
    `listeners: [ { name: web, protocol: http, port: 1 } ]
protos: { include: [ "${protos}" ] }
services:
  library: { protocol: grpc, targets: ["127.0.0.1:1"], protos: ["rosetta/test/v1/library.proto"] }
  orders: { protocol: http, targets: ["http://127.0.0.1:7001"] }
routes:
  - { id: get-order, match: { path: "/api/orders/{id}", methods: [GET] }, upstream: { service: orders, path: "/v2/orders/{id}" } }
`,
  );
  const { code, stdout, stderr } = await rosetta(["routes", "-c", file]);
  assert.is(code, 0, stderr);
  const lines = stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^ID\s+LISTENERS\s+METHODS\s+PATH\s+SERVICE\s+UPSTREAM\s+SOURCE$/);
  assert.match(stdout, /get-order\s+\*\s+GET\s+\/api\/orders\/\{id\}\s+orders\s+\/v2\/orders\/\{id\}\s+config/);
  assert.match(stdout, /\s+\*\s+GET\s+\/v1\/shelves\/\{shelf\}\s+library\s+rosetta\.test\.v1\.Library\/GetShelf\s+generated/);
  assert.ok(lines.filter((line) => line.endsWith("generated")).length >= 3);
});

test("rosetta routes without -c, or with a bad config, fails with the reason", async () => {
  const missing = await rosetta(["routes"]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /routes needs -c FILE/);
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-routes-")), "gateway.yaml");
  writeFileSync(file, "listeners: [ { protocol: http, port: 8080 } ]\nroutes: [ { id: a, upstream: { service: nope } } ]\n");
  const bad = await rosetta(["routes", "-c", file]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /routes\[0\]\.upstream\.service: unknown service "nope"/);
});

test.run();
