import type { Endpoint } from "../endpoints/endpoint.js";
import type { TargetStatus, UpstreamStatus } from "../observability/upstream-status.js";

/**
 * What an endpoint may report about its targets and breaker. Both are
 * optional: a service kind without health tracking shows its targets as
 * unknown, and readiness does not wait for it.
 */
interface EndpointHealthApi {
  targets?(): readonly unknown[];
  circuit?(): string | undefined;
}

/** The status of one service, read through whatever health API its endpoint has. */
export function upstreamStatusOf(service: string, protocol: string, endpoint: Endpoint<unknown>, configuredTargets: readonly string[]): UpstreamStatus {
  const api = endpoint as Endpoint<unknown> & EndpointHealthApi;
  const reported = typeof api.targets === "function" ? api.targets() : undefined;
  const targets = reported === undefined ? configuredTargets.map((target): TargetStatus => ({ target, healthy: undefined })) : reported.map(targetStatusOf);
  let circuit = typeof api.circuit === "function" ? api.circuit() : undefined;
  if (circuit === undefined && reported !== undefined) {
    const states = reported.map((item) => field(item, "breaker") ?? field(item, "circuit")).filter((state): state is string => typeof state === "string");
    if (states.length > 0) circuit = states.every((state) => state === "open") ? "open" : states.includes("closed") ? "closed" : states[0];
  }
  return { service, protocol, targets, circuit };
}

/** A target as an endpoint reports it: a string, or an object naming it (target, url, address) with `healthy`. */
function targetStatusOf(item: unknown): TargetStatus {
  if (typeof item === "string") return { target: item, healthy: undefined };
  const name = field(item, "target") ?? field(item, "url") ?? field(item, "address") ?? field(item, "name");
  const healthy = field(item, "healthy");
  return { target: typeof name === "string" ? name : String(name), healthy: typeof healthy === "boolean" ? healthy : undefined };
}

function field(item: unknown, name: string): unknown {
  return typeof item === "object" && item !== null ? (item as Record<string, unknown>)[name] : undefined;
}

/** The targets a service's options list, for services whose endpoint reports none: strings, URLs, { label } or { url }. */
export function configuredTargetsOf(options: unknown): string[] {
  const targets = field(options, "targets");
  if (!Array.isArray(targets)) return [];
  return targets.map((target) => {
    if (typeof target === "string") return target;
    if (target instanceof URL) return target.origin;
    return String(field(target, "label") ?? field(target, "url") ?? field(target, "address") ?? JSON.stringify(target));
  });
}
