import { test } from "uvu";
import * as assert from "uvu/assert";
import { CircuitBreaker, REFUSED, type CallOutcome, type CircuitBreakerOptions } from "../../src/endpoints/circuit-breaker.js";
import { RetryBudget } from "../../src/endpoints/retry-budget.js";

const options = (extra: Partial<CircuitBreakerOptions> = {}): CircuitBreakerOptions => ({
  consecutiveFailures: 3,
  failureRatio: undefined,
  minimumRequests: 4,
  window: 10_000,
  openFor: 1_000,
  halfOpenRequests: 1,
  maxPending: 100,
  ...extra,
});

/** Admits and records each outcome at `now`; returns the state after. */
function play(breaker: CircuitBreaker, outcomes: readonly CallOutcome[], now = 0): string {
  for (const outcome of outcomes) {
    const ticket = breaker.admit(now);
    if (ticket !== REFUSED) breaker.record(ticket, outcome, now);
  }
  return breaker.state(now);
}

const rows: { description: string; options: Partial<CircuitBreakerOptions>; outcomes: CallOutcome[]; state: string }[] = [
  { description: "failures in a row open it", options: {}, outcomes: ["failure", "failure", "failure"], state: "open" },
  { description: "a success breaks the run", options: {}, outcomes: ["failure", "failure", "success", "failure", "failure"], state: "closed" },
  { description: "neutral outcomes count neither way", options: {}, outcomes: ["failure", "neutral", "failure", "neutral", "failure"], state: "open" },
  {
    description: "failureRatio opens it once minimumRequests were made",
    options: { consecutiveFailures: 100, failureRatio: 0.5 },
    outcomes: ["success", "failure", "success", "failure"],
    state: "open",
  },
  { description: "failureRatio waits for minimumRequests", options: { consecutiveFailures: 100, failureRatio: 0.5 }, outcomes: ["failure", "failure", "success"], state: "closed" },
  {
    description: "failureRatio below the share stays closed",
    options: { consecutiveFailures: 100, failureRatio: 0.5 },
    outcomes: ["success", "success", "success", "failure", "success"],
    state: "closed",
  },
];

for (const row of rows) {
  test(`circuit: ${row.description}`, () => {
    assert.is(play(new CircuitBreaker(options(row.options)), row.outcomes), row.state);
  });
}

test("circuit: the failure ratio forgets calls older than the window", () => {
  const breaker = new CircuitBreaker(options({ consecutiveFailures: 100, failureRatio: 0.5, window: 1_000 }));
  play(breaker, ["failure", "failure", "success"], 0);
  assert.is(play(breaker, ["success", "failure"], 5_000), "closed");
});

test("circuit: open refuses until openFor, then half-open admits halfOpenRequests probes; outcomes of older calls are ignored", () => {
  const breaker = new CircuitBreaker(options({ halfOpenRequests: 2 }));
  const early = breaker.admit(0);
  play(breaker, ["failure", "failure", "failure"], 0);
  assert.is(breaker.admit(999), REFUSED);
  assert.is(breaker.retryAfter(400), 600);
  const first = breaker.admit(1_000);
  const second = breaker.admit(1_000);
  assert.ok(first !== REFUSED && second !== REFUSED);
  assert.is(breaker.admit(1_000), REFUSED);
  breaker.record(early, "success", 1_000);
  assert.is(breaker.state(1_000), "half-open");
  breaker.record(first, "neutral", 1_001);
  assert.ok(breaker.admit(1_001) !== REFUSED, "a neutral probe frees its slot");
  breaker.record(second, "failure", 1_002);
  assert.is(breaker.state(1_002), "open");
  assert.is(breaker.timesOpened, 2);
  const probe = breaker.admit(2_002);
  breaker.record(probe, "success", 2_003);
  assert.is(breaker.state(2_003), "closed");
});

test("retry budget: past the floor of 3 in flight, retries stay within the share of requests", () => {
  const budget = new RetryBudget(0.2, 10_000, 3);
  for (let index = 0; index < 100; index++) budget.request(0);
  let granted = 0;
  for (let index = 0; index < 100; index++) if (budget.acquire(0)) granted++;
  assert.is(granted, 20);
  for (let index = 0; index < granted; index++) budget.release();
  // The window moved on: no requests counted, but the floor still lets 3 through.
  let later = 0;
  for (let index = 0; index < 10; index++) if (budget.acquire(20_000)) later++;
  assert.is(later, 3);
});

test.run();
