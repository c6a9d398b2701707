import { once, type EventEmitter } from "node:events";

/** Polls `check` (every 5 ms) until it holds; fails naming `what` after `timeoutMs`. For state no event announces. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The next `event` of `emitter` (its arguments); fails after `timeoutMs` instead of hanging the suite. */
export async function nextEvent(emitter: EventEmitter, event: string, timeoutMs = 5000): Promise<unknown[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await once(emitter, event, { signal });
  } catch (error) {
    if (signal.aborted) throw new Error(`timed out after ${timeoutMs}ms waiting for "${event}"`);
    throw error;
  }
}
