import type { RequestEnvelope } from "../core/envelope.js";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { duration, integer, object, withDefault, type Infer } from "../options/schema.js";
import type { LoadBalancer } from "./balancing-options.js";
import { HashRing } from "./hash-ring.js";
import { noteUpstreamTarget } from "../observability/request-observer.js";

export const ejectionSchema = object(
  {
    consecutiveFailures: withDefault(integer({ min: 1 }), 3, "failures in a row (refused/reset connections, timeouts, 502/503/504) that eject a target"),
    baseTime: withDefault(duration({ min: 1 }), 10_000, "how long a first ejection lasts; each further one in a row doubles it"),
    maxTime: withDefault(duration({ min: 1 }), 300_000, "the longest an ejection lasts"),
  },
  "ejection policy",
);

export type EjectionPolicy = Infer<typeof ejectionSchema>;

/** The balancing settings a service gives its balancer. */
export interface BalancerOptions {
  readonly ejection: EjectionPolicy;
  readonly loadBalancer: LoadBalancer;
  /** Set when the service has active health checks. */
  readonly healthCheck?: { readonly whenAllUnhealthy: "all" | "none" } | undefined;
}

/** A target as the balancer is given it: the endpoint's own handle, its weight, and how it is named in errors and the admin API. */
export interface BalancedTarget<T> {
  readonly target: T;
  readonly weight: number;
  readonly label: string;
}

export interface TargetState<T> {
  readonly target: T;
  readonly label: string;
  readonly weight: number;
  consecutiveFailures: number;
  ejectedUntil: number;
  ejections: number;
  /** As the active health check last found it; always true without one. */
  healthy: boolean;
  /** Calls in flight (started, not finished), for least-request. */
  active: number;
  /** Smooth weighted round-robin's running score. */
  current: number;
}

/** One target as the admin API and metrics see it. */
export interface TargetStatus {
  readonly target: string;
  readonly healthy: boolean;
  readonly ejected: boolean;
  readonly weight: number;
}

/** The circuit breakers' say on a target: false passes it over as ejection does. */
type Admits<T> = ((state: TargetState<T>) => boolean) | undefined;

/** Which targets a pick may take: only healthy ones, or (panic) any that is not ejected. */
const HEALTHY = 0;
const NOT_EJECTED = 1;
type Mode = typeof HEALTHY | typeof NOT_EJECTED;

/**
 * Picks a service's target for each call: smooth weighted round-robin (as
 * nginx), least-request (power of two choices; with unequal weights Envoy's
 * weight / (active + 1) schedule), weighted random, or a consistent-hash
 * ring. A target must be healthy (active checks) and not ejected (passive
 * outlier detection: failing in a row ejects it for a while, doubling on
 * repeated ejections). When no healthy target is left, `whenAllUnhealthy:
 * all` fails open to every target that is not ejected, and `none` refuses
 * with 503; when every target is ejected, the one whose ejection ends first
 * is tried rather than failing outright.
 */
export class TargetBalancer<T> {
  readonly #states: TargetState<T>[];
  readonly #policy: EjectionPolicy;
  readonly #algorithm: LoadBalancer["kind"];
  readonly #ring: HashRing | undefined;
  readonly #keyOf: ((request: RequestEnvelope) => string | undefined) | undefined;
  readonly #failClosed: boolean;
  readonly #service: string;
  readonly #equalWeights: boolean;
  #healthyCount: number;

  constructor(service: string, targets: readonly BalancedTarget<T>[], options: BalancerOptions) {
    this.#service = service;
    this.#states = targets.map(({ target, weight, label }) => ({ target, label, weight, consecutiveFailures: 0, ejectedUntil: 0, ejections: 0, healthy: true, active: 0, current: 0 }));
    this.#policy = options.ejection;
    this.#algorithm = options.loadBalancer.kind;
    this.#failClosed = options.healthCheck?.whenAllUnhealthy === "none";
    this.#healthyCount = this.#states.length;
    this.#equalWeights = this.#states.every((state) => state.weight === this.#states[0]!.weight);
    if (options.loadBalancer.kind === "consistent-hash") {
      this.#ring = new HashRing(this.#states);
      const key = options.loadBalancer.key;
      this.#keyOf =
        key.kind === "ip"
          ? (request) => request.peer.address
          : (request) => {
              const value = request.headers[key.name];
              return Array.isArray(value) ? value[0] : value;
            };
    }
  }

  get size(): number {
    return this.#states.length;
  }

  get states(): readonly TargetState<T>[] {
    return this.#states;
  }

  /**
   * The target for one call; `request` feeds a consistent hash, `exclude`
   * skips one already tried for this request, `admits` (the circuit breakers)
   * passes over targets as ejection does. Throws 503 UNAVAILABLE when no
   * target is healthy and the service fails closed.
   */
  pick(request?: RequestEnvelope, exclude?: TargetState<T>, admits?: (state: TargetState<T>) => boolean): TargetState<T> {
    const chosen = this.#pick(request, exclude, admits);
    // Each try overwrites the last: the access log, spans and metrics name the target that answered.
    if (request !== undefined) noteUpstreamTarget(request, chosen.label);
    return chosen;
  }

  #pick(request: RequestEnvelope | undefined, exclude: TargetState<T> | undefined, admits: ((state: TargetState<T>) => boolean) | undefined): TargetState<T> {
    const states = this.#states;
    const now = Date.now();
    if (states.length === 1) {
      const only = states[0]!;
      if (!only.healthy && this.#failClosed) throw this.#noHealthyTarget();
      return only;
    }
    let mode: Mode = HEALTHY;
    if (this.#healthyCount === 0) {
      if (this.#failClosed) throw this.#noHealthyTarget();
      mode = NOT_EJECTED;
    }
    const chosen = this.#choose(request, exclude, now, mode, admits) ?? (mode === HEALTHY && !this.#failClosed ? this.#choose(request, exclude, now, NOT_EJECTED, admits) : undefined);
    if (chosen !== undefined) return chosen;
    let soonest: TargetState<T> | undefined;
    // A target `admits` refuses comes last: the caller then answers for it (every circuit open).
    let refused: TargetState<T> | undefined;
    for (const state of states) {
      if (this.#failClosed && !state.healthy) continue;
      if (admits !== undefined && !admits(state)) refused ??= state;
      else if (soonest === undefined || (state !== exclude && state.ejectedUntil < soonest.ejectedUntil)) soonest = state;
    }
    soonest ??= refused;
    if (soonest === undefined) throw this.#noHealthyTarget();
    return soonest;
  }

  /** A call on `state` began (least-request counts calls in flight); pair with `finished`. */
  started(state: TargetState<T>): void {
    state.active++;
  }

  finished(state: TargetState<T>): void {
    if (state.active > 0) state.active--;
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

  /** The active health check's verdict on a target. */
  setHealthy(state: TargetState<T>, healthy: boolean): void {
    if (state.healthy === healthy) return;
    state.healthy = healthy;
    this.#healthyCount += healthy ? 1 : -1;
  }

  statuses(): TargetStatus[] {
    const now = Date.now();
    return this.#states.map((state) => ({ target: state.label, healthy: state.healthy, ejected: state.ejectedUntil > now, weight: state.weight }));
  }

  #noHealthyTarget(): GatewayError {
    return new GatewayError(StatusCode.UNAVAILABLE, `upstream "${this.#service}" has no healthy target`);
  }

  #usable(state: TargetState<T>, exclude: TargetState<T> | undefined, now: number, mode: Mode, admits: Admits<T>): boolean {
    return state !== exclude && state.ejectedUntil <= now && (mode === NOT_EJECTED || state.healthy) && (admits === undefined || admits(state));
  }

  #choose(request: RequestEnvelope | undefined, exclude: TargetState<T> | undefined, now: number, mode: Mode, admits: Admits<T>): TargetState<T> | undefined {
    switch (this.#algorithm) {
      case "round-robin":
        return this.#smooth(exclude, now, mode, admits, false);
      case "random":
        return this.#random(exclude, now, mode, admits, undefined);
      case "least-request":
        return this.#equalWeights ? this.#twoChoices(exclude, now, mode, admits) : this.#smooth(exclude, now, mode, admits, true);
      case "consistent-hash": {
        const key = request === undefined ? undefined : this.#keyOf!(request);
        // Without a key there is nothing to stick to: plain round-robin.
        if (key === undefined) return this.#smooth(exclude, now, mode, admits, false);
        const owner = this.#ring!.find(key, (index) => this.#usable(this.#states[index]!, exclude, now, mode, admits));
        return owner < 0 ? undefined : this.#states[owner];
      }
    }
  }

  /**
   * Smooth weighted round-robin: every usable target gains its weight, the
   * highest is picked and loses the total, so weights 1:3 give b a b b rather
   * than a b b b. `byLoad` divides each weight by its calls in flight + 1.
   */
  #smooth(exclude: TargetState<T> | undefined, now: number, mode: Mode, admits: Admits<T>, byLoad: boolean): TargetState<T> | undefined {
    let best: TargetState<T> | undefined;
    let total = 0;
    for (const state of this.#states) {
      if (!this.#usable(state, exclude, now, mode, admits)) continue;
      const weight = byLoad ? state.weight / (state.active + 1) : state.weight;
      state.current += weight;
      total += weight;
      if (best === undefined || state.current > best.current) best = state;
    }
    if (best !== undefined) best.current -= total;
    return best;
  }

  /** A usable target drawn with probability proportional to its weight. */
  #random(exclude: TargetState<T> | undefined, now: number, mode: Mode, admits: Admits<T>, skip: TargetState<T> | undefined): TargetState<T> | undefined {
    let total = 0;
    for (const state of this.#states) if (state !== skip && this.#usable(state, exclude, now, mode, admits)) total += state.weight;
    if (total === 0) return undefined;
    let draw = Math.random() * total;
    let last: TargetState<T> | undefined;
    for (const state of this.#states) {
      if (state === skip || !this.#usable(state, exclude, now, mode, admits)) continue;
      last = state;
      draw -= state.weight;
      if (draw < 0) return state;
    }
    return last;
  }

  /** Power of two choices: two distinct usable targets at random, the one with fewer calls in flight. */
  #twoChoices(exclude: TargetState<T> | undefined, now: number, mode: Mode, admits: Admits<T>): TargetState<T> | undefined {
    const first = this.#random(exclude, now, mode, admits, undefined);
    if (first === undefined) return undefined;
    const second = this.#random(exclude, now, mode, admits, first);
    return second === undefined || first.active <= second.active ? first : second;
  }
}
