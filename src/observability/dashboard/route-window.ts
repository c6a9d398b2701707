/** Seconds of history per route: the sparkline's length. */
export const historySeconds = 60;
/** Seconds the rates, percentiles and error rate are computed over (the last complete ones). */
export const windowSeconds = 10;

/**
 * Upper bounds (ms) of the latency buckets. Fixed and coarse on purpose:
 * recording is a short scan and an increment, and a percentile read from
 * them is exact to the bucket, like Prometheus' histogram_quantile.
 */
export const latencyBoundsMs = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10_000, Number.POSITIVE_INFINITY];
const bucketCount = latencyBoundsMs.length;

/** What a route did in the last `windowSeconds` complete seconds. */
export interface WindowFigures {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** undefined when nothing was answered in the window. */
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Share of the window's requests answered 5xx; 0 without requests. */
  readonly errorRate: number;
}

/**
 * One route's recent traffic: a ring of per-second slots (requests and 5xx
 * answers for `historySeconds`, a latency histogram for `windowSeconds`),
 * each stamped with its second so a stale slot is cleared when reused —
 * no timer, no allocation per request. Seconds come from performance.now(),
 * which the request outcome already carries.
 */
export class RouteWindow {
  readonly #stamps = new Int32Array(historySeconds).fill(-1);
  readonly #requests = new Uint32Array(historySeconds);
  readonly #errors = new Uint32Array(historySeconds);
  readonly #histogramStamps = new Int32Array(windowSeconds + 1).fill(-1);
  readonly #histograms = new Uint32Array((windowSeconds + 1) * bucketCount);

  /** Counts one answer that was ready at `atMs` (performance.now()) after `durationMs`. */
  record(atMs: number, durationMs: number, status: number): void {
    const second = Math.floor(atMs / 1000);
    const slot = second % historySeconds;
    if (this.#stamps[slot] !== second) {
      this.#stamps[slot] = second;
      this.#requests[slot] = 0;
      this.#errors[slot] = 0;
    }
    this.#requests[slot]!++;
    if (status >= 500) this.#errors[slot]!++;
    const histogramSlot = second % (windowSeconds + 1);
    const offset = histogramSlot * bucketCount;
    if (this.#histogramStamps[histogramSlot] !== second) {
      this.#histogramStamps[histogramSlot] = second;
      this.#histograms.fill(0, offset, offset + bucketCount);
    }
    let bucket = 0;
    while (durationMs > latencyBoundsMs[bucket]!) bucket++;
    this.#histograms[offset + bucket]!++;
  }

  /** Requests per second for the `historySeconds` before `nowMs`, oldest first (the current, incomplete second excluded). */
  history(nowMs: number): number[] {
    const now = Math.floor(nowMs / 1000);
    const series = new Array<number>(historySeconds);
    for (let index = 0; index < historySeconds; index++) {
      const second = now - historySeconds + index;
      const slot = second % historySeconds;
      series[index] = second >= 0 && this.#stamps[slot] === second ? this.#requests[slot]! : 0;
    }
    return series;
  }

  /** The figures of the `windowSeconds` complete seconds before `nowMs`. */
  figures(nowMs: number): WindowFigures {
    const now = Math.floor(nowMs / 1000);
    let requests = 0;
    let errors = 0;
    const merged = new Array<number>(bucketCount).fill(0);
    for (let second = now - windowSeconds; second < now; second++) {
      if (second < 0) continue;
      const slot = second % historySeconds;
      if (this.#stamps[slot] === second) {
        requests += this.#requests[slot]!;
        errors += this.#errors[slot]!;
      }
      const histogramSlot = second % (windowSeconds + 1);
      if (this.#histogramStamps[histogramSlot] !== second) continue;
      const offset = histogramSlot * bucketCount;
      for (let bucket = 0; bucket < bucketCount; bucket++) merged[bucket]! += this.#histograms[offset + bucket]!;
    }
    return {
      requests,
      requestsPerSecond: requests / windowSeconds,
      p50Ms: quantile(merged, requests, 0.5),
      p99Ms: quantile(merged, requests, 0.99),
      errorRate: requests === 0 ? 0 : errors / requests,
    };
  }
}

/** The q-quantile of bucket counts, interpolated linearly inside its bucket; the last (unbounded) bucket reads as its lower bound. */
function quantile(counts: readonly number[], total: number, q: number): number | undefined {
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    const count = counts[bucket]!;
    if (seen + count >= rank && count > 0) {
      const lower = bucket === 0 ? 0 : latencyBoundsMs[bucket - 1]!;
      const upper = latencyBoundsMs[bucket]!;
      if (upper === Number.POSITIVE_INFINITY) return lower;
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return latencyBoundsMs[bucketCount - 2];
}
