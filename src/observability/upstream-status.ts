/** One upstream target as the admin listener and metrics show it. */
export interface TargetStatus {
  readonly target: string;
  /** In rotation: the health check has not failed it and passive ejection has not taken it out. */
  readonly healthy: boolean;
  /** Taken out for a while by passive outlier ejection. */
  readonly ejected: boolean;
  readonly weight: number;
}

/** A circuit breaker's state (as the endpoints' breakers report it). */
export type CircuitState = "closed" | "open" | "half-open";

/** One service: its targets and, when it has a circuit breaker, the breaker's state. */
export interface UpstreamStatus {
  readonly service: string;
  readonly protocol: string;
  readonly targets: readonly TargetStatus[];
  /** The service circuit's state; undefined without a breaker. */
  readonly circuit: CircuitState | undefined;
}
