import { once, type EventEmitter } from "node:events";

/**
 * Waiting on what a test waits for instead of a fixed sleep. `waitFor`
 * re-checks every 5 ms (for state no event announces) and fails naming
 * `what` after `timeoutMs`; `nextEvent` is `once` with a bound.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The next `event` of `emitter` (its arguments); fails after `timeoutMs` instead of hanging the suite. */
export async function nextEvent<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, timeoutMs = 5000): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return (await once(emitter, event, { signal })) as T;
  } catch (error) {
    if (signal.aborted) throw new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`);
    throw error;
  }
}
