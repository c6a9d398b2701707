import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

// The compiled test sits in dist/test/benchmarks/; the script is not compiled.
const script = fileURLToPath(new URL("../../../benchmarks/peers/install-peers.sh", import.meta.url));

/** Runs `install-peers.sh --print` with a dpkg-query that reports only `installed` as installed. */
function printWith(installed: readonly string[]): string {
  const folder = mkdtempSync(join(tmpdir(), "rosetta-peers-"));
  try {
    const known = installed.map((name) => `"${name}"`).join(" ");
    // dpkg-query -W -f=${Status} NAME: the package is the third argument.
    writeFileSync(join(folder, "dpkg-query"), `#!/bin/sh\nfor name in ${known}; do\n  if [ "$name" = "$3" ]; then printf 'install ok installed'; exit 0; fi\ndone\nexit 1\n`);
    chmodSync(join(folder, "dpkg-query"), 0o755);
    const result = spawnSync("bash", [script, "--print"], { encoding: "utf8", env: { ...process.env, PATH: `${folder}${delimiter}${process.env.PATH ?? ""}` }, timeout: 30_000 });
    assert.is(result.status, 0, result.stderr);
    return result.stdout.trim();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

test("install-peers.sh --print names the exact apt-get command for every missing peer package", () => {
  assert.is(
    printWith([]),
    "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx haproxy golang-go protobuf-compiler golang-goprotobuf-dev golang-google-grpc-dev golang-github-grpc-ecosystem-grpc-gateway-dev golang-grpc-gateway",
  );
});

test("install-peers.sh --print asks only for what is missing, and for nothing when all is there", () => {
  const all = ["nginx", "haproxy", "golang-go", "protobuf-compiler", "golang-goprotobuf-dev", "golang-google-grpc-dev", "golang-github-grpc-ecosystem-grpc-gateway-dev", "golang-grpc-gateway"];
  assert.is(printWith(all.filter((name) => name !== "haproxy")), "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy");
  assert.is(printWith(all), "all peer packages are installed");
});

test.run();
