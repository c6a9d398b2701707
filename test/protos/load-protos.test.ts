import { test } from "uvu";
import * as assert from "uvu/assert";
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

test.run();
