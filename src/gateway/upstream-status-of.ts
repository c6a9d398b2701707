import type { Endpoint } from "../endpoints/endpoint.js";
import type { UpstreamStatus } from "../observability/upstream-status.js";

/** The status of one service, from its endpoint's target report (health check verdict and passive ejection) and its service circuit. */
export function upstreamStatusOf(service: string, protocol: string, endpoint: Endpoint<unknown>): UpstreamStatus {
  const targets = (endpoint.targets?.() ?? []).map(({ target, healthy, ejected, weight }) => ({ target, healthy: healthy && !ejected, ejected, weight }));
  return { service, protocol, targets, circuit: endpoint.circuits?.()?.state };
}
