/**
 * How long an upstream call may take, in milliseconds (never negative): the
 * route's timeout, cut short by the request's deadline (epoch ms, set by the
 * listener) and by a budget the caller asked for itself (gRPC's
 * grpc-timeout). A deadline already passed leaves 0: the call times out at once.
 */
export function callBudget(timeout: number, deadline: number | undefined, requested?: number, now = Date.now()): number {
  const left = deadline === undefined ? timeout : deadline - now;
  return Math.max(0, Math.min(timeout, requested ?? timeout, left));
}
