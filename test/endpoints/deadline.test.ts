import { test } from "uvu";
import * as assert from "uvu/assert";
import { callBudget } from "../../src/endpoints/deadline.js";

/** The one budget rule every endpoint applies (HTTP per attempt, TCP per call, gRPC as the call's deadline). */
test("callBudget: the shortest of the route's timeout, the request's deadline and the caller's own request; never negative", () => {
  const now = 1_000_000;
  const rows: Array<[string, number, number | undefined, number | undefined, number]> = [
    // what, timeout, deadline (epoch ms), requested, budget
    ["no deadline, nothing requested: the timeout", 2000, undefined, undefined, 2000],
    ["a later deadline does not stretch the timeout", 2000, now + 5000, undefined, 2000],
    ["an earlier deadline cuts it", 2000, now + 300, undefined, 300],
    ["a deadline that is now leaves nothing", 2000, now, undefined, 0],
    ["a deadline already passed leaves nothing, not a negative time", 2000, now - 50, undefined, 0],
    ["a shorter requested budget (grpc-timeout) wins", 2000, undefined, 150, 150],
    ["a longer requested budget does not stretch the timeout", 2000, undefined, 60_000, 2000],
    ["requested and deadline: the shorter", 2000, now + 100, 150, 100],
    ["requested 0 is 0", 2000, now + 100, 0, 0],
  ];
  for (const [what, timeout, deadline, requested, budget] of rows) assert.is(callBudget(timeout, deadline, requested, now), budget, what);
});

test("callBudget: now defaults to the clock", () => {
  const budget = callBudget(10_000, Date.now() + 5000);
  assert.ok(budget > 4000 && budget <= 5000, `${budget}ms`);
});

test.run();
