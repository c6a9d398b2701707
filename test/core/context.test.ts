import { test } from "uvu";
import * as assert from "uvu/assert";
import { Cancellation } from "../../src/core/cancellation.js";
import { ContextBag, createContextKey } from "../../src/core/context.js";
import { GatewayError } from "../../src/core/gateway-error.js";
import { StatusCode } from "../../src/core/status-code.js";

test("context bag: typed keys, defaults, no collisions between keys of the same name", () => {
  const tenant = createContextKey("none", "tenant");
  const otherTenant = createContextKey("other-default", "tenant");
  const bag = new ContextBag();
  assert.is(bag.get(tenant), "none");
  bag.set(tenant, "acme");
  assert.is(bag.get(tenant), "acme");
  assert.is(bag.get(otherTenant), "other-default");
  assert.ok(bag.has(tenant));
  assert.not.ok(bag.has(otherTenant));
});

test("cancellation: callbacks run once, unsubscribed ones never, late ones at once; the AbortSignal follows", () => {
  const cancellation = new Cancellation();
  const calls: string[] = [];
  cancellation.onCancel(() => calls.push("a"));
  const stop = cancellation.onCancel(() => calls.push("b"));
  stop();
  const signal = cancellation.signal;
  const reason = new Error("gone");
  cancellation.cancel(reason);
  cancellation.cancel(new Error("again"));
  cancellation.onCancel((late) => calls.push(`late:${late.message}`));
  assert.equal(calls, ["a", "late:gone"]);
  assert.ok(signal.aborted);
  assert.is(signal.reason, reason);
});

test("GatewayError.from: keeps gateway errors, hides the internals of anything else", () => {
  const own = new GatewayError(StatusCode.NOT_FOUND, "no shelf");
  assert.is(GatewayError.from(own), own);
  const wrapped = GatewayError.from(new TypeError("secret stack detail"));
  assert.is(wrapped.code, StatusCode.INTERNAL);
  assert.is(wrapped.message, "internal error");
  assert.is(wrapped.httpStatus, 500);
  assert.equal(new GatewayError(StatusCode.UNAVAILABLE, "down").toStatus(), { code: 14, message: "down", details: [] });
});

test.run();
