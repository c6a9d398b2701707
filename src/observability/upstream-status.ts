/** One upstream target as the admin listener and metrics show it. */
export interface TargetStatus {
  readonly target: string;
  /** In rotation: the health check has not failed it and passive ejection has not taken it out. */
  readonly healthy: boolean;
  /** Taken out for a while by passive outlier ejection. */
  readonly ejected: boolean;
  readonly weight: number;
}

/** One service: its targets and, when it has a circuit breaker, the breaker's state. */
export interface UpstreamStatus {
  readonly service: string;
  readonly protocol: string;
  readonly targets: readonly TargetStatus[];
  /** "closed" | "open" | "half-open"; undefined without a breaker. */
  readonly circuit: string | undefined;
}
