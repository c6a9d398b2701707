import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { ConfigErrorCode } from "../../src/options/error-codes.js";

test("every ROSETTA_ERR_* code is documented in the README", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  for (const code of Object.values(ConfigErrorCode)) assert.ok(readme.includes(`\`${code}\``), `${code} is not in README.md`);
});

test.run();
