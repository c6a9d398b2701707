/** One upstream target as the admin listener and metrics show it. */
export interface TargetStatus {
  readonly target: string;
  /** undefined when the service does not track health. */
  readonly healthy: boolean | undefined;
}

/** One service: its targets and, when it has a circuit breaker, the breaker's state. */
export interface UpstreamStatus {
  readonly service: string;
  readonly protocol: string;
  readonly targets: readonly TargetStatus[];
  /** "closed" | "open" | "half-open"; undefined without a breaker. */
  readonly circuit: string | undefined;
}
