import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GatewayError } from "../../src/core/gateway-error.js";
import { StatusCode } from "../../src/core/status-code.js";
import { WorkerPool } from "../../src/codecs/worker-pool.js";
import type { PoolTestJob } from "../helpers/pool-test-worker.js";

/** The one worker pool both offloading codecs use, over a real worker thread. */
type Job = Omit<PoolTestJob, "id">;
type Reply = { readonly id: number; readonly text?: string; readonly error?: string };

function pool(size: number, known?: number[]): WorkerPool<Job, Reply, string> {
  return new WorkerPool<Job, Reply, string>({
    size,
    script: new URL("../helpers/pool-test-worker.js", import.meta.url),
    workerData: undefined,
    what: "the test worker",
    request: (id, job, seen) => {
      known?.push(seen.size);
      seen.add(1);
      return { message: { id, ...job }, transfer: [] };
    },
    settle: (reply) => (reply.error !== undefined ? new GatewayError(StatusCode.INVALID_ARGUMENT, reply.error) : (reply.text ?? "")),
  });
}

test("replies are matched to their calls by id, whatever order they come back in", async () => {
  const workers = pool(1);
  try {
    const first = workers.run({ action: "hold", text: "first" });
    const second = workers.run({ action: "release", text: "second" });
    assert.equal(await Promise.all([first, second]), ["first", "second"]);
    assert.is(await workers.run({ action: "echo", text: "third" }), "third");
  } finally {
    await workers.close();
  }
});

test("an error reply rejects only its own call, with the error the reply carries", async () => {
  const workers = pool(1);
  try {
    const failed = workers.run({ action: "fail", text: "no such thing" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const ok = workers.run({ action: "echo", text: "fine" });
    const error = await failed;
    assert.instance(error, GatewayError);
    assert.is((error as GatewayError).message, "no such thing");
    assert.is(await ok, "fine");
  } finally {
    await workers.close();
  }
});

test("a worker that dies fails only its pending calls, and a new one takes the next", async () => {
  const workers = pool(2);
  try {
    // Slot 0 holds a call, slot 1 dies with one pending: only slot 1's call fails.
    const held = workers.run({ action: "hold", text: "held" });
    const crashed = workers.run({ action: "crash", text: "" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = await crashed;
    assert.instance(error, GatewayError);
    assert.is((error as GatewayError).code, StatusCode.INTERNAL);
    assert.match((error as GatewayError).message, "the test worker stopped: exit code 3");
    // Slot 0 again: releases the held call, which the crash never touched.
    assert.is(await workers.run({ action: "release", text: "released" }), "released");
    assert.is(await held, "held");
    // Slot 1 again: a fresh worker.
    assert.is(await workers.run({ action: "echo", text: "again" }), "again");
  } finally {
    await workers.close();
  }
});

test("each worker keeps its own memory of what it was told", async () => {
  const known: number[] = [];
  const workers = pool(2, known);
  try {
    for (const text of ["a", "b", "c", "d"]) await workers.run({ action: "echo", text });
    assert.equal(known, [0, 0, 1, 1]);
  } finally {
    await workers.close();
  }
});

test("a busy pool keeps the process alive until its reply comes; an idle one lets it exit", async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../helpers/pool-ref-child.js", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill(), 20_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  assert.is(output, "answered");
  assert.is(code, 0, "the process exits by itself once the pool is idle");
});

test.run();
