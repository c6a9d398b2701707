import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { Metadata } from "@grpc/grpc-js";
import { Cancellation } from "../../../src/core/cancellation.js";
import { h2Call, h2Channel, failed, succeeded } from "../../helpers/h2-client.js";

/**
 * Rosetta's HTTP/2 client against a grpc-go server (Go's own HTTP/2 and
 * HPACK), built from Debian's packages (golang-go, golang-google-grpc-dev)
 * in GOPATH mode, offline (npm test installs them).
 */

const debianGopath = "/usr/share/gocode";
const source = fileURLToPath(new URL("../../../../test/endpoints/grpc/grpc-go-echo/", import.meta.url));
const hasGo = spawnSync("sh", ["-c", "command -v go"], { stdio: "ignore" }).status === 0 && existsSync(join(debianGopath, "src/google.golang.org/grpc"));

function buildServer(): string {
  // One build folder per checkout: its GOPATH links to this checkout's source.
  const work = join(tmpdir(), `rosetta-grpc-go-echo-${createHash("sha256").update(source).digest("hex").slice(0, 12)}`);
  const gopath = join(work, "gopath");
  mkdirSync(join(gopath, "src"), { recursive: true });
  const link = join(gopath, "src", "grpcgoecho");
  if (!existsSync(link)) symlinkSync(source, link);
  const binary = join(work, "server");
  const built = spawnSync("go", ["build", "-o", binary, "grpcgoecho"], {
    env: { ...process.env, GO111MODULE: "off", GOPATH: `${gopath}:${debianGopath}`, GOCACHE: join(work, "cache"), GOFLAGS: "-mod=mod" },
    encoding: "utf8",
    timeout: 300_000,
  });
  if (built.status !== 0) throw new Error(`go build failed: ${built.stderr}`);
  return binary;
}

async function startServer(binary: string): Promise<{ target: string; process: ChildProcess }> {
  const child = spawn(binary, [], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the grpc-go server exited with ${code}`)));
  });
  return { target: `127.0.0.1:${port.trim()}`, process: child };
}

if (!hasGo) {
  // npm test installs both (scripts/test-prerequisites.mjs); reaching this means that could not happen.
  test("grpc-go server: go and Debian's grpc-go are installed", () => {
    assert.unreachable("go or Debian's grpc-go (/usr/share/gocode) is missing: apt-get install -y golang-go golang-google-grpc-dev");
  });
} else {
  test("grpc-go server: unary calls in parallel, metadata both ways (text and -bin), headers and trailers", async () => {
    const server = await startServer(buildServer());
    const channel = h2Channel(server.target);
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, index) => {
          const metadata = new Metadata();
          metadata.add("x-echo", `m${index}`);
          return h2Call(channel, "/test.Echo/Echo", Buffer.from(`n${index}`), { metadata });
        }),
      );
      for (const [index, outcome] of outcomes.entries()) {
        const result = succeeded(outcome);
        assert.is(result.message.toString(), `go:n${index}|m${index}`);
        assert.equal(result.headers?.get("x-go-head"), ["h"]);
        assert.equal(result.headers?.get("x-go-bin"), [Buffer.from([0, 1, 255])]);
        assert.equal(result.trailers?.get("x-go-trail"), ["t"]);
      }
      const status = failed(await h2Call(channel, "/test.Echo/Fail", Buffer.from("x")));
      assert.is(status.code, 5);
      assert.is(status.details, "no such shelf");
      assert.equal(status.metadata?.get("x-why"), ["gone"]);
      assert.is(failed(await h2Call(channel, "/test.Echo/Nope", Buffer.from("x"))).code, 12);
    } finally {
      channel.close();
      server.process.kill();
    }
  });

  test("grpc-go server: deadline (grpc-timeout honoured, DEADLINE_EXCEEDED), cancellation, a 3 MiB request and the next call on the same connection", async () => {
    const server = await startServer(buildServer());
    const channel = h2Channel(server.target);
    try {
      assert.is(failed(await h2Call(channel, "/test.Echo/Slow", Buffer.from("x"), { timeout: 200 })).code, 4);
      const cancellation = new Cancellation();
      const pending = h2Call(channel, "/test.Echo/Slow", Buffer.from("x"), { cancellation });
      setTimeout(() => cancellation.cancel(new Error("gone")), 50);
      assert.is((await pending).ok, false);
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      const result = succeeded(await h2Call(channel, "/test.Echo/Echo", big, { timeout: 20_000 }));
      assert.is(result.message.byteLength, big.byteLength + 3);
      assert.is(succeeded(await h2Call(channel, "/test.Echo/Echo", Buffer.from("after"))).message.toString(), "go:after");
    } finally {
      channel.close();
      server.process.kill();
    }
  });
}

test.run();
