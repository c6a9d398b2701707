import type { RequestEnvelope } from "../core/envelope.js";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { CircuitBreaker, REFUSED, type CallOutcome, type CircuitBreakerOptions, type CircuitState } from "./circuit-breaker.js";
import type { TargetBalancer, TargetState } from "./target-balancer.js";

/** What the metrics and admin read of one service's circuits: `rosetta_circuit_open{service}`. */
export interface CircuitSnapshot {
  readonly state: CircuitState;
  readonly timesOpened: number;
  /** Calls in flight to the service now. */
  readonly pending: number;
  readonly targets: readonly { readonly target: string; readonly state: CircuitState; readonly timesOpened: number }[];
}

/** A target picked for one try, with its circuit's ticket. */
export interface PickedTarget<T> {
  readonly state: TargetState<T>;
  readonly ticket: number;
}

/**
 * The circuits of one service: one for the service as a whole (checked once
 * per call, before any network work, with the `maxPending` bound) and one per
 * target (checked at each pick: an open target is passed over, as an ejected
 * one is). Endpoints hold one only when `circuitBreaker` is set.
 */
export class ServiceCircuits<T> {
  readonly #service: string;
  readonly #options: CircuitBreakerOptions;
  readonly #breaker: CircuitBreaker;
  readonly #targets: Map<T, CircuitBreaker>;
  readonly #label: (target: T) => string;
  readonly #admits: (state: TargetState<T>) => boolean;
  #pending = 0;

  constructor(service: string, options: CircuitBreakerOptions, targets: readonly T[], label: (target: T) => string) {
    this.#service = service;
    this.#options = options;
    this.#breaker = new CircuitBreaker(options);
    this.#targets = new Map(targets.map((target) => [target, new CircuitBreaker(options)]));
    this.#label = label;
    this.#admits = (state) => this.#targets.get(state.target)!.admits();
  }

  /** Admits one call: a ticket for `leave`, or the 503 to answer at once. */
  enter(): number | GatewayError {
    if (this.#pending >= this.#options.maxPending) {
      return new GatewayError(StatusCode.UNAVAILABLE, `upstream "${this.#service}" has ${this.#options.maxPending} calls in flight (circuitBreaker.maxPending)`);
    }
    const now = Date.now();
    const ticket = this.#breaker.admit(now);
    if (ticket === REFUSED) {
      const seconds = Math.max(1, Math.ceil(this.#breaker.retryAfter(now) / 1000));
      return new GatewayError(StatusCode.UNAVAILABLE, `upstream "${this.#service}" is failing: its circuit is open`, { metadata: { "retry-after": String(seconds) } });
    }
    this.#pending++;
    return ticket;
  }

  leave(ticket: number, outcome: CallOutcome): void {
    this.#pending--;
    this.#breaker.record(ticket, outcome);
  }

  /**
   * The balancer's pick among the targets whose circuit admits a try (an open
   * one is passed over as an ejected one is, so weights, health, least-request
   * and the consistent hash of `request` still decide among the others). Throws
   * the balancer's 503 when no target is healthy, and a 503 when every target's
   * circuit is open.
   */
  pick(balancer: TargetBalancer<T>, request: RequestEnvelope | undefined, exclude: TargetState<T> | undefined): PickedTarget<T> {
    const state = balancer.pick(request, exclude, this.#admits);
    const ticket = this.#targets.get(state.target)!.admit();
    if (ticket === REFUSED) throw new GatewayError(StatusCode.UNAVAILABLE, `upstream "${this.#service}": every target's circuit is open`);
    return { state, ticket };
  }

  /** Records one try's outcome against its target. */
  tried(picked: PickedTarget<T>, outcome: CallOutcome): void {
    this.#targets.get(picked.state.target)!.record(picked.ticket, outcome);
  }

  snapshot(): CircuitSnapshot {
    const now = Date.now();
    return {
      state: this.#breaker.state(now),
      timesOpened: this.#breaker.timesOpened,
      pending: this.#pending,
      targets: [...this.#targets].map(([target, breaker]) => ({ target: this.#label(target), state: breaker.state(now), timesOpened: breaker.timesOpened })),
    };
  }
}
