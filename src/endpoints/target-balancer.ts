import { duration, integer, object, withDefault, type Infer } from "../options/schema.js";

export const ejectionSchema = object(
  {
    consecutiveFailures: withDefault(integer({ min: 1 }), 3, "failures in a row (refused/reset connections, timeouts, 502/503/504) that eject a target"),
    baseTime: withDefault(duration({ min: 1 }), 10_000, "how long a first ejection lasts; each further one in a row doubles it"),
    maxTime: withDefault(duration({ min: 1 }), 300_000, "the longest an ejection lasts"),
  },
  "ejection policy",
);

export type EjectionPolicy = Infer<typeof ejectionSchema>;

export interface TargetState<T> {
  readonly target: T;
  consecutiveFailures: number;
  ejectedUntil: number;
  ejections: number;
}

/**
 * Round-robin over a service's targets with passive health checking: a
 * target that keeps failing is ejected for a while (doubling on repeated
 * ejections, like Envoy's outlier detection) and traffic goes to the others.
 * When every target is ejected, the one whose ejection ends first is tried
 * rather than failing outright.
 */
export class TargetBalancer<T> {
  readonly #states: TargetState<T>[];
  readonly #policy: EjectionPolicy;
  #next = 0;

  constructor(targets: readonly T[], policy: EjectionPolicy) {
    this.#states = targets.map((target) => ({ target, consecutiveFailures: 0, ejectedUntil: 0, ejections: 0 }));
    this.#policy = policy;
  }

  get size(): number {
    return this.#states.length;
  }

  /** The next healthy target; `exclude` skips ones already tried for this request. */
  pick(exclude?: TargetState<T>): TargetState<T> {
    const states = this.#states;
    const count = states.length;
    const now = Date.now();
    for (let attempt = 0; attempt < count; attempt++) {
      const state = states[this.#next]!;
      this.#next = this.#next + 1 === count ? 0 : this.#next + 1;
      if (state !== exclude && state.ejectedUntil <= now) return state;
    }
    let soonest = states[0]!;
    for (const state of states) if (state !== exclude && state.ejectedUntil < soonest.ejectedUntil) soonest = state;
    return soonest;
  }

  succeeded(state: TargetState<T>): void {
    if (state.consecutiveFailures !== 0) state.consecutiveFailures = 0;
    if (state.ejections !== 0 && state.ejectedUntil <= Date.now()) state.ejections = 0;
  }

  failed(state: TargetState<T>): void {
    state.consecutiveFailures++;
    if (state.consecutiveFailures < this.#policy.consecutiveFailures) return;
    state.consecutiveFailures = 0;
    const length = Math.min(this.#policy.baseTime * 2 ** state.ejections, this.#policy.maxTime);
    state.ejections++;
    state.ejectedUntil = Date.now() + length;
  }
}
