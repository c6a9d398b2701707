import type { BenchConnection, BenchTarget, BenchTargetSpec } from "../../src/bench/bench-target.js";

export interface Driven {
  /** Outcome → how many requests ended with it. */
  readonly outcomes: Record<string, number>;
  /** Outcome of each request, by sequence number. */
  readonly bySequence: Map<number, string>;
  readonly ok: number;
  readonly bytes: number;
  /** Requests whose `done` came more than once (must stay 0). */
  readonly doubleDone: number;
  /** Sequence numbers in the order their `done` came. */
  readonly order: number[];
}

/** A spec with the defaults the tests do not care about. */
export function spec(fields: Partial<BenchTargetSpec> & Pick<BenchTargetSpec, "protocol" | "url">): BenchTargetSpec {
  return { method: "GET", headers: {}, body: "", protoFiles: [], importPaths: [], timeoutMs: 5000, pipelining: 1, ...fields };
}

/**
 * Drives a target through its contract the way the engine does: `connections`
 * connections, each kept at `inFlightPerConnection` requests until `total`
 * were sent, then waits (bounded) for every `done`.
 */
export async function drive(target: BenchTarget, total: number, connections = 2, waitMs = 20_000): Promise<Driven> {
  const opened: BenchConnection[] = await Promise.all(Array.from({ length: connections }, () => target.connect()));
  try {
    return await driveOn(opened, target.inFlightPerConnection, total, waitMs);
  } finally {
    for (const connection of opened) connection.close();
  }
}

export function driveOn(opened: readonly BenchConnection[], inFlight: number, total: number, waitMs = 20_000): Promise<Driven> {
  const outcomes: Record<string, number> = {};
  const bySequence = new Map<number, string>();
  const order: number[] = [];
  let ok = 0;
  let bytes = 0;
  let doubleDone = 0;
  let sent = 0;
  let finished = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${finished} of ${total} requests finished within ${waitMs} ms: ${JSON.stringify(outcomes)}`)), waitMs);
    const sendOn = (connection: BenchConnection) => {
      if (sent >= total) return;
      const sequence = sent++;
      connection.send(sequence, (success, outcome, received) => {
        if (bySequence.has(sequence)) {
          doubleDone++;
          return;
        }
        bySequence.set(sequence, outcome);
        order.push(sequence);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (success) ok++;
        bytes += received;
        finished++;
        if (finished === total) {
          clearTimeout(timer);
          // One more turn, so that a second `done` for any request would be seen.
          setImmediate(() => resolve({ outcomes, bySequence, ok, bytes, doubleDone, order }));
        } else sendOn(connection);
      });
    };
    for (const connection of opened) for (let i = 0; i < inFlight; i++) sendOn(connection);
  });
}
