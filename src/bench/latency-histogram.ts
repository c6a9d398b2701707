import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";
import type { LatencySummary, PercentilePoint } from "./bench-report.js";

/**
 * Latencies recorded in whole microseconds in an HDR histogram (3 significant
 * digits, so 0.1 % resolution at any scale); workers send theirs encoded and
 * the coordinator adds them up. Reported in milliseconds.
 */
export type LatencyHistogram = Histogram;

export function createLatencyHistogram(): LatencyHistogram {
  return build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export function recordMs(histogram: LatencyHistogram, milliseconds: number): void {
  histogram.recordValue(milliseconds <= 0.001 ? 1 : Math.round(milliseconds * 1000));
}

export const encodeHistogram = (histogram: LatencyHistogram): string => encodeIntoCompressedBase64(histogram);

/** Adds an encoded histogram (a worker's) into `into`. */
export function addEncoded(into: LatencyHistogram, encoded: string): void {
  const decoded = decodeFromCompressedBase64(encoded, 32, false);
  into.add(decoded);
  decoded.destroy();
}

const ms = (histogram: LatencyHistogram, percentile: number) => (histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000);

export function summarize(histogram: LatencyHistogram): LatencySummary {
  return { p50: ms(histogram, 50), p90: ms(histogram, 90), p99: ms(histogram, 99), p999: ms(histogram, 99.9), max: histogram.totalCount === 0 ? 0 : histogram.maxValue / 1000 };
}

/** Linear up to p90, then halving the distance to 100 % each step (where tail latency lives). */
const curvePercentiles = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.999, 100];

export function percentileCurve(histogram: LatencyHistogram): PercentilePoint[] {
  return curvePercentiles.map((percentile) => ({ percentile, ms: percentile === 100 ? summarize(histogram).max : ms(histogram, percentile) }));
}
