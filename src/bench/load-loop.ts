import type { BenchDone, BenchTarget } from "./bench-target.js";
import { createLatencyHistogram, encodeHistogram, recordMs, type LatencyHistogram } from "./latency-histogram.js";
import type { WorkerResult, WorkerTask } from "./load-plan.js";
import { RedialingConnection } from "./redialing-connection.js";

/**
 * One worker's load: closed loop (each slot sends again as soon as it is
 * answered) or open loop (request k is due at start + k / rate; a request
 * that finds no free slot waits, and its latency counts from when it was
 * due, as wrk2 does, so a stalled server cannot hide behind a stalled
 * client). Requests are measured by when they were sent (closed) or due
 * (open): those of the warm-up are not. When the window ends, requests in
 * flight are waited for (up to the timeout plus a second) and counted. A
 * connection that dies is opened again on its next send (redialing-connection.ts).
 */
export type Progress = (requests: number, errors: number, measuring: boolean) => void;

/** The first connections must open (a wrong port fails the run at once); later ones are opened again as they die. */
export async function openConnections(target: BenchTarget, count: number, timeoutMs: number): Promise<RedialingConnection[]> {
  return Promise.all(Array.from({ length: count }, () => RedialingConnection.open(target, timeoutMs)));
}

class Recorder {
  readonly latency: LatencyHistogram = createLatencyHistogram();
  readonly uncorrected: LatencyHistogram | undefined;
  readonly errors = new Map<string, number>();
  readonly timeline: Array<[number, number]> = [];
  requests = 0;
  errorCount = 0;
  bytes = 0;
  lastAt = 0;

  constructor(
    open: boolean,
    private readonly windowStart: number,
  ) {
    this.uncorrected = open ? createLatencyHistogram() : undefined;
  }

  record(ok: boolean, outcome: string, bytes: number, now: number, latencyMs: number, uncorrectedMs: number): void {
    this.requests++;
    this.bytes += bytes;
    this.lastAt = now;
    const second = Math.max(0, Math.floor((now - this.windowStart) / 1000));
    while (this.timeline.length <= second) this.timeline.push([0, 0]);
    const point = this.timeline[second]!;
    point[0]++;
    if (!ok) {
      this.errorCount++;
      point[1]++;
      this.errors.set(outcome, (this.errors.get(outcome) ?? 0) + 1);
    }
    // Only answered requests have a latency; timeouts and socket errors are counted above, not timed.
    if (ok || bytes > 0) {
      recordMs(this.latency, latencyMs);
      if (this.uncorrected !== undefined) recordMs(this.uncorrected, uncorrectedMs);
    }
  }

  lose(count: number, outcome: string): void {
    this.requests += count;
    this.errorCount += count;
    this.errors.set(outcome, (this.errors.get(outcome) ?? 0) + count);
  }

  result(measuredMs: number, nextSequence: number): WorkerResult {
    const result: WorkerResult = {
      requests: this.requests,
      bytes: this.bytes,
      errors: Object.fromEntries(this.errors),
      latency: encodeHistogram(this.latency),
      timeline: this.timeline,
      measuredMs,
      nextSequence,
      ...(this.uncorrected === undefined ? {} : { uncorrected: encodeHistogram(this.uncorrected) }),
    };
    this.latency.destroy();
    this.uncorrected?.destroy();
    return result;
  }
}

interface Slot {
  readonly connection: RedialingConnection;
  sentAt: number;
  dueAt: number;
  measured: boolean;
  done: BenchDone;
}

export function driveLoad(connections: readonly RedialingConnection[], inFlightPerConnection: number, task: WorkerTask, timeoutMs: number, progress?: Progress): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const measureStart = start + task.warmupMs;
    const open = task.mode === "open";
    const end = task.durationMs === undefined ? Number.POSITIVE_INFINITY : measureStart + task.durationMs;
    const limit = task.requests ?? Number.POSITIVE_INFINITY;
    const recorder = new Recorder(open, measureStart);
    let sequence = task.sequenceStart;
    let inFlight = 0;
    let measuredIssued = 0;
    let stopping = false;
    let finished = false;
    const timers: NodeJS.Timeout[] = [];
    let tickTimer: NodeJS.Timeout | undefined;

    const finish = () => {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      if (tickTimer !== undefined) clearTimeout(tickTimer);
      const unsent = pending.length - pendingHead;
      if (unsent > 0) recorder.lose(unsent, "timeout");
      const last = Math.max(recorder.lastAt, Math.min(performance.now(), end));
      resolve(recorder.result(Math.max(1, last - measureStart), sequence));
    };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      if (inFlight === 0 && pending.length === pendingHead) finish();
      // A safety net: the target times requests out itself; this bounds the wait whatever it does.
      else timers.push(setTimeout(finish, timeoutMs + 1000));
    };

    // Closed loop.
    const issue = (slot: Slot) => {
      const now = performance.now();
      if (now >= end) return stop();
      const measured = now >= measureStart;
      if (measured) {
        if (measuredIssued >= limit) return stop();
        measuredIssued++;
      }
      slot.sentAt = now;
      slot.measured = measured;
      inFlight++;
      const current = sequence;
      sequence += task.sequenceStride;
      slot.connection.send(current, slot.done);
    };

    // Open loop: due times not yet sent, oldest first.
    const pending: number[] = [];
    let pendingHead = 0;
    const free: Slot[] = [];
    const perMs = (task.rate ?? 0) / 1000 || 1;
    let dueIndex = 0;
    let schedulingDone = false;
    const sendDue = (slot: Slot, dueAt: number, now: number) => {
      slot.dueAt = dueAt;
      slot.sentAt = now;
      slot.measured = dueAt >= measureStart;
      inFlight++;
      const current = sequence;
      sequence += task.sequenceStride;
      slot.connection.send(current, slot.done);
    };
    const tick = () => {
      tickTimer = undefined;
      if (finished || schedulingDone) return;
      const now = performance.now();
      for (;;) {
        const dueAt = start + dueIndex / perMs;
        if (dueAt > now) break;
        const measured = dueAt >= measureStart;
        if (dueAt >= end || (measured && measuredIssued >= limit)) {
          schedulingDone = true;
          return stop();
        }
        if (measured) measuredIssued++;
        dueIndex++;
        const slot = free.pop();
        if (slot !== undefined) sendDue(slot, dueAt, now);
        else pending.push(dueAt);
      }
      // Timers, not polling: a request may leave up to about a millisecond after it is due (the timers' grain), and
      // that delay is in its latency, timed from when due. Polling would be exact but would keep a core spinning.
      const gap = start + dueIndex / perMs - performance.now();
      tickTimer = setTimeout(tick, Math.max(1, Math.floor(gap)));
    };

    const slots: Slot[] = [];
    for (const connection of connections) {
      for (let index = 0; index < inFlightPerConnection; index++) {
        const slot: Slot = { connection, sentAt: 0, dueAt: 0, measured: false, done: () => undefined };
        slot.done = (ok, outcome, bytes) => {
          if (finished) return;
          inFlight--;
          if (ok || bytes > 0) slot.connection.answered();
          const now = performance.now();
          if (slot.measured) recorder.record(ok, outcome, bytes, now, now - (open ? slot.dueAt : slot.sentAt), now - slot.sentAt);
          if (open) {
            if (pendingHead < pending.length) {
              const dueAt = pending[pendingHead++]!;
              if (pendingHead > 1024 && pendingHead * 2 > pending.length) {
                pending.splice(0, pendingHead);
                pendingHead = 0;
              }
              sendDue(slot, dueAt, now);
            } else free.push(slot);
          } else if (!stopping) issue(slot);
          if (stopping && inFlight === 0 && pendingHead === pending.length) finish();
        };
        slots.push(slot);
      }
    }

    if (progress !== undefined) {
      const interval = setInterval(() => progress(recorder.requests, recorder.errorCount, performance.now() >= measureStart), 250);
      timers.push(interval);
    }
    if (open) {
      free.push(...slots.reverse());
      tick();
    } else {
      // The open loop's ticks see the end themselves; a closed loop may be waiting on a silent server.
      if (end !== Number.POSITIVE_INFINITY) timers.push(setTimeout(stop, end - start));
      for (const slot of slots) issue(slot);
    }
  });
}
