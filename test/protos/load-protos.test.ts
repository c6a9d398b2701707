import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, ConfigErrorCode } from "../../src/options/error-codes.js";
import { loadServiceProtos } from "../../src/protos/load-protos.js";

/** The one loader the gRPC and HTTP endpoints share: protos found through the include roots, or a ConfigError at <service>.protos. */
test("loads a service's protos through the include roots", async () => {
  const registry = await loadServiceProtos(["test/protos"], ["rosetta/test/v1/library.proto"], "services.library");
  assert.ok(registry.findService("rosetta.test.v1.Library") !== undefined);
});

test("a missing file is one ConfigError problem at <configPath>.protos, with the loader's reason", async () => {
  const error = await loadServiceProtos(["test/protos"], ["rosetta/test/v1/missing.proto"], "services.library").then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ConfigError, String(error));
  assert.is(error.problems.length, 1);
  const [problem] = error.problems;
  assert.is(problem?.code, ConfigErrorCode.REFERENCE);
  assert.is(problem?.path, "services.library.protos");
  assert.match(problem?.message ?? "", /^cannot load protos: .*missing\.proto/);
});

test("files come in the order they are named, whichever is read first, so routes and the OpenAPI document are the same on every load", async () => {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-order-"));
  // The first file is big, so a read-completion order would put the second one's package first.
  writeFileSync(join(directory, "first.proto"), `syntax = "proto3";\npackage zeta.v1;\n${"// padding\n".repeat(300_000)}message M {}\n`);
  writeFileSync(join(directory, "second.proto"), 'syntax = "proto3";\npackage alpha.v1;\nmessage M {}\n');
  for (let round = 0; round < 3; round++) {
    const registry = await loadServiceProtos([directory], ["first.proto", "second.proto"], "services.order");
    const packages = registry.root.nestedArray.map((namespace) => namespace.name).filter((name) => name === "zeta" || name === "alpha");
    assert.equal(packages, ["zeta", "alpha"]);
  }
});

test.run();
