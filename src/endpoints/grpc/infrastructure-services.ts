/**
 * Services a gRPC server runs for its own operation, not as its API: server
 * reflection, health checking, channelz, and Google's own (long-running
 * operations and the like, pulled in by imports). They get no routes unless
 * `exposeInfrastructureServices` names them; every other service does,
 * whatever its package (grpc-gateway's examples live in `grpc.gateway.…`).
 */
const infrastructurePrefixes = ["grpc.reflection.", "grpc.health.", "grpc.channelz.", "google."];

/** `exposed` holds full service names or package prefixes ending in "." (`grpc.health.`). */
export function isInfrastructureService(fullName: string, exposed: readonly string[]): boolean {
  if (!infrastructurePrefixes.some((prefix) => fullName.startsWith(prefix))) return false;
  return !exposed.some((name) => (name.endsWith(".") ? fullName.startsWith(name) : fullName === name));
}
