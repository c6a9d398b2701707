import type { Logger } from "../observability/logger.js";
import type { HealthCheckOptions } from "./balancing-options.js";
import type { TargetBalancer, TargetState } from "./target-balancer.js";

/** One check of one target: resolves when it is healthy, rejects (with why) when not; `signal` aborts it on timeout or stop. */
export type HealthProbe<T> = (target: T, signal: AbortSignal) => Promise<void>;

interface Tracked<T> {
  readonly state: TargetState<T>;
  successes: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  running: AbortController | undefined;
}

/**
 * Active health checking: each target is probed every `interval` (±10 %
 * jitter, so targets and gateway instances do not probe in step), one probe
 * at a time per target (the next is scheduled when the last settles).
 * `unhealthyThreshold` failures in a row take a target out of rotation,
 * `healthyThreshold` successes bring it back. Targets start healthy. Timers
 * are unref'd and cleared on stop, so a stopped gateway leaves nothing
 * behind.
 */
export class HealthChecker<T> {
  readonly #balancer: TargetBalancer<T>;
  readonly #options: HealthCheckOptions;
  readonly #probe: HealthProbe<T>;
  readonly #logger: Logger;
  readonly #service: string;
  readonly #tracked: Tracked<T>[];
  #stopped = false;

  constructor(service: string, balancer: TargetBalancer<T>, options: HealthCheckOptions, probe: HealthProbe<T>, logger: Logger) {
    this.#service = service;
    this.#balancer = balancer;
    this.#options = options;
    this.#probe = probe;
    this.#logger = logger;
    this.#tracked = balancer.states.map((state) => ({ state, successes: 0, failures: 0, timer: undefined, running: undefined }));
    // The first round comes soon, spread over a tenth of the interval.
    for (const tracked of this.#tracked) this.#schedule(tracked, Math.random() * Math.min(this.#options.interval / 10, 1000));
  }

  stop(): void {
    this.#stopped = true;
    for (const tracked of this.#tracked) {
      clearTimeout(tracked.timer);
      tracked.running?.abort(new Error("health checks stopped"));
    }
  }

  #schedule(tracked: Tracked<T>, delay: number): void {
    if (this.#stopped) return;
    tracked.timer = setTimeout(() => void this.#check(tracked), delay);
    tracked.timer.unref();
  }

  async #check(tracked: Tracked<T>): Promise<void> {
    tracked.timer = undefined;
    const controller = new AbortController();
    tracked.running = controller;
    const timeout = this.#options.timeout;
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeout}ms`)), timeout);
    timer.unref();
    let failure: string | undefined;
    try {
      await Promise.race([
        this.#probe(tracked.state.target, controller.signal),
        new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), { once: true })),
      ]);
    } catch (error) {
      failure = (error as Error).message ?? String(error);
    } finally {
      clearTimeout(timer);
      tracked.running = undefined;
    }
    if (this.#stopped) return;
    this.#record(tracked, failure);
    const interval = this.#options.interval;
    this.#schedule(tracked, interval * (0.9 + Math.random() * 0.2));
  }

  #record(tracked: Tracked<T>, failure: string | undefined): void {
    const { state } = tracked;
    if (failure === undefined) {
      tracked.failures = 0;
      tracked.successes++;
      if (!state.healthy && tracked.successes >= this.#options.healthyThreshold) {
        this.#balancer.setHealthy(state, true);
        this.#logger.info("upstream target healthy again", { service: this.#service, target: state.label });
      }
      return;
    }
    tracked.successes = 0;
    tracked.failures++;
    if (state.healthy && tracked.failures >= this.#options.unhealthyThreshold) {
      this.#balancer.setHealthy(state, false);
      this.#logger.warn("upstream target unhealthy", { service: this.#service, target: state.label, reason: failure });
    }
  }
}
