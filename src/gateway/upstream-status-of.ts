import type { Endpoint } from "../endpoints/endpoint.js";
import type { UpstreamStatus } from "../observability/upstream-status.js";

/** The breaker state an endpoint may report (the circuit-breaker settings add it). */
interface CircuitApi {
  circuit?(): string | undefined;
}

/** The status of one service, from its endpoint's target report (health check verdict and passive ejection). */
export function upstreamStatusOf(service: string, protocol: string, endpoint: Endpoint<unknown> & CircuitApi): UpstreamStatus {
  const targets = (endpoint.targets?.() ?? []).map(({ target, healthy, ejected, weight }) => ({ target, healthy: healthy && !ejected, ejected, weight }));
  return { service, protocol, targets, circuit: endpoint.circuit?.() };
}
