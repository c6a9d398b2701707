import { AggregatorRegistry, Counter, Gauge, Registry } from "prom-client";

/** One worker's registry as prom-client's getMetricsAsJSON gives it, carried over cluster IPC. */
export type MetricsSnapshot = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/**
 * The supervisor's view of the process group's metrics: the workers'
 * registries merged with prom-client's AggregatorRegistry.aggregate (counters
 * and histograms summed, so `rosetta_requests_total` counts every request
 * whichever worker took it), plus the supervisor's own series about the
 * workers themselves.
 */
export class ClusterMetrics {
  readonly #own = new Registry();
  readonly #restarts: Counter<string>;
  readonly #workers: Gauge<string>;
  readonly #answered: Gauge<string>;

  constructor() {
    const registers = [this.#own];
    this.#restarts = new Counter({ name: "rosetta_worker_restarts_total", help: "Worker processes the supervisor restarted after they exited", registers });
    this.#workers = new Gauge({ name: "rosetta_workers", help: "Worker processes running now", registers });
    this.#answered = new Gauge({ name: "rosetta_workers_scraped", help: "Workers whose metrics the last scrape included (a worker starting or stuck is left out)", registers });
  }

  restarted(): void {
    this.#restarts.inc();
  }

  running(count: number): void {
    this.#workers.set(count);
  }

  async exposition(snapshots: readonly MetricsSnapshot[]): Promise<{ contentType: string; text: string }> {
    this.#answered.set(snapshots.length);
    const workers = AggregatorRegistry.aggregate<typeof Registry.PROMETHEUS_CONTENT_TYPE>(snapshots as MetricsSnapshot[]);
    const merged = Registry.merge([workers, this.#own]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }
}
