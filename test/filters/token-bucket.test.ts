import { test } from "uvu";
import * as assert from "uvu/assert";
import { MemoryBuckets } from "../../src/filters/token-bucket.js";

test("a bucket gives burst tokens, then one per 1/rate, never more than burst", () => {
  let now = 0;
  const buckets = new MemoryBuckets({ burst: 3, tokensPerMs: 2 / 1000 }, 10, () => now);
  const first = [buckets.take("a"), buckets.take("a"), buckets.take("a"), buckets.take("a")];
  assert.equal(
    first.map((decision) => decision.allowed),
    [true, true, true, false],
  );
  assert.equal(
    first.map((decision) => decision.remaining),
    [2, 1, 0, 0],
  );
  assert.is(first[3]!.retryAfterMs, 500);
  assert.is(first[0]!.resetMs, 500);
  now = 499;
  assert.is(buckets.take("a").allowed, false, "not yet a whole token");
  now = 500;
  assert.is(buckets.take("a").allowed, true);
  now = 100_000;
  const idle = buckets.take("a");
  assert.is(idle.remaining, 2, "refill stops at burst");
  assert.is(idle.resetMs, 500);
});

test("memory stays bounded: a million distinct keys keep at most maxKeys buckets, and active keys survive", () => {
  let now = 0;
  const maxKeys = 50_000;
  // One token per 1000 s: a hot key that kept its bucket stays refused for the whole flood; one evicted would come back full.
  const buckets = new MemoryBuckets({ burst: 2, tokensPerMs: 1 / 1_000_000 }, maxKeys, () => now);
  buckets.take("hot");
  buckets.take("hot");
  let largest = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  for (let index = 0; index < 1_000_000; index++) {
    now = index / 1000; // one new key per microsecond
    buckets.take(`flood-${index}`);
    if (index % 1000 === 0) assert.is(buckets.take("hot").allowed, false, `the hot key kept its empty bucket at key ${index}`);
    if (buckets.size > largest) largest = buckets.size;
  }
  const heapAfter = process.memoryUsage().heapUsed;
  assert.is(largest, maxKeys);
  assert.is(buckets.size, maxKeys);
  console.log(`    1e6 keys, maxKeys ${maxKeys}: ${buckets.size} buckets, heap grew ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB including uncollected garbage (informative, not asserted)`);
});

test.run();
