import type { RequestEnvelope, ResponseEnvelope } from "../core/envelope.js";
import type { Body } from "../core/body.js";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { LiveStats } from "./dashboard/live-stats.js";
import type { RouteWindow } from "./dashboard/route-window.js";
import type { RequestObserver, RequestOutcome } from "./request-observer.js";
import type { UpstreamStatus } from "./upstream-status.js";

type CounterChild = ReturnType<Counter<string>["labels"]>;
type HistogramChild = ReturnType<Histogram<string>["labels"]>;

/** Per listener and route: the bound metric children, so the hot path never builds a label object. */
interface RouteSeries {
  readonly duration: HistogramChild;
  readonly requestBytes: HistogramChild;
  readonly responseBytes: HistogramChild;
  readonly byCode: Map<number, CounterChild>;
  /** The route's dashboard window (shared by every listener's series of the route). */
  readonly live: RouteWindow;
}

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const fastBuckets = [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.0001, 0.00025, 0.0005, 0.001, 0.005];
const byteBuckets = [64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304];

/** The route label of a request no route took: one series however many paths callers try. */
export const unmatchedRoute = "unmatched";

/**
 * Rosetta's Prometheus metrics: one prom-client Registry per gateway, fed
 * by the request observer hook (every listener, frames included), the codec
 * timer and, at scrape time, the upstreams' health and breaker state. Label
 * values are bounded: listener names, route ids (or "unmatched"), service
 * and codec names, status numbers.
 */
export class GatewayMetrics implements RequestObserver {
  readonly registry = new Registry();
  /** Per-route rolling figures and recent errors for /dashboard, fed here so the series lookup is shared. */
  readonly live = new LiveStats();
  readonly #requests: Counter<string>;
  readonly #duration: Histogram<string>;
  readonly #routeMatch: Histogram<string>;
  readonly #upstream: Histogram<string>;
  readonly #codec: Histogram<string>;
  readonly #requestBytes: Histogram<string>;
  readonly #responseBytes: Histogram<string>;
  readonly #rateLimited: Counter<string>;
  readonly #series = new Map<string, Map<string, RouteSeries>>();
  readonly #upstreamChildren = new Map<string, HistogramChild>();
  readonly #codecChildren = { decode: new Map<string, HistogramChild>(), encode: new Map<string, HistogramChild>() };
  #inFlight = 0;

  constructor(upstreams: () => readonly UpstreamStatus[]) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "rosetta_requests_total",
      help: "Requests and frame calls answered, by the HTTP status the caller got",
      labelNames: ["listener", "protocol", "route", "code"],
      registers,
    });
    this.#duration = new Histogram({
      name: "rosetta_request_duration_seconds",
      help: "Time from the request reaching the gateway to its response (headers)",
      labelNames: ["listener", "protocol", "route"],
      buckets: latencyBuckets,
      registers,
    });
    const inFlight = () => this.#inFlight;
    new Gauge({
      name: "rosetta_requests_in_flight",
      help: "Requests the gateway is answering now",
      registers,
      collect() {
        this.set(inFlight());
      },
    });
    this.#routeMatch = new Histogram({ name: "rosetta_route_match_seconds", help: "Time the router took to choose a route", buckets: fastBuckets, registers });
    this.#upstream = new Histogram({
      name: "rosetta_upstream_duration_seconds",
      help: "Time of the endpoint call to an upstream service",
      labelNames: ["service"],
      buckets: latencyBuckets,
      registers,
    });
    this.#codec = new Histogram({ name: "rosetta_codec_duration_seconds", help: "Time to decode or encode a body with a codec", labelNames: ["codec", "direction"], buckets: fastBuckets, registers });
    this.#requestBytes = new Histogram({
      name: "rosetta_request_body_bytes",
      help: "Request body size, when known (read, or declared by Content-Length)",
      labelNames: ["route"],
      buckets: byteBuckets,
      registers,
    });
    this.#responseBytes = new Histogram({ name: "rosetta_response_body_bytes", help: "Response body size, when known before it is written", labelNames: ["route"], buckets: byteBuckets, registers });
    new Gauge({
      name: "rosetta_upstream_healthy",
      help: "1 when the target takes traffic, 0 when it is ejected or failing health checks",
      labelNames: ["service", "target"],
      registers,
      collect() {
        this.reset();
        for (const upstream of upstreams())
          for (const target of upstream.targets) if (target.healthy !== undefined) this.set({ service: upstream.service, target: target.target }, target.healthy ? 1 : 0);
      },
    });
    this.#rateLimited = new Counter({ name: "rosetta_rate_limited_total", help: "Requests refused by a rate limit", labelNames: ["route"], registers });
    new Gauge({
      name: "rosetta_circuit_open",
      help: "1 while the service's circuit breaker is open (half-open counts as open)",
      labelNames: ["service"],
      registers,
      collect() {
        this.reset();
        for (const upstream of upstreams()) if (upstream.circuit !== undefined) this.set({ service: upstream.service }, upstream.circuit === "closed" ? 0 : 1);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  started(): void {
    this.#inFlight++;
  }

  finished(request: RequestEnvelope, response: ResponseEnvelope, outcome: RequestOutcome): void {
    this.#inFlight--;
    const { listener, protocol } = request.peer;
    const route = outcome.route ?? unmatchedRoute;
    const series = this.#seriesOf(listener, protocol, route);
    let counter = series.byCode.get(response.status);
    if (counter === undefined) {
      counter = this.#requests.labels(listener, protocol, route, String(response.status));
      series.byCode.set(response.status, counter);
    }
    counter.inc();
    this.live.record(series.live, route, request, response, outcome);
    series.duration.observe((outcome.finishedAt - outcome.startedAt) / 1000);
    this.#routeMatch.observe(outcome.routeMatchMs / 1000);
    if (outcome.service !== undefined && outcome.upstreamMs >= 0) this.#upstreamOf(outcome.service).observe(outcome.upstreamMs / 1000);
    const requestBytes = knownLength(request.body);
    if (requestBytes !== undefined) series.requestBytes.observe(requestBytes);
    const responseBytes = knownLength(response.body);
    if (responseBytes !== undefined) series.responseBytes.observe(responseBytes);
    // A rate-limit filter marks its refusals; a 429 carrying RateLimit-* headers is one too.
    if (outcome.rateLimited || (response.status === 429 && response.headers["ratelimit-limit"] !== undefined)) this.#rateLimited.labels(route).inc();
  }

  /** The codec timer (codecs/codec-timing.ts) for this gateway's codecs. */
  readonly codecTimer = (codec: string, direction: "decode" | "encode", seconds: number): void => {
    const children = this.#codecChildren[direction];
    let child = children.get(codec);
    if (child === undefined) {
      child = this.#codec.labels(codec, direction);
      children.set(codec, child);
    }
    child.observe(seconds);
  };

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  #seriesOf(listener: string, protocol: string, route: string): RouteSeries {
    let byRoute = this.#series.get(listener);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.#series.set(listener, byRoute);
    }
    let series = byRoute.get(route);
    if (series === undefined) {
      series = {
        duration: this.#duration.labels(listener, protocol, route),
        requestBytes: this.#requestBytes.labels(route),
        responseBytes: this.#responseBytes.labels(route),
        byCode: new Map(),
        live: this.live.windowOf(route),
      };
      byRoute.set(route, series);
    }
    return series;
  }

  #upstreamOf(service: string): HistogramChild {
    let child = this.#upstreamChildren.get(service);
    if (child === undefined) {
      child = this.#upstream.labels(service);
      this.#upstreamChildren.set(service, child);
    }
    return child;
  }
}

function knownLength(body: Body): number | undefined {
  switch (body.kind) {
    case "empty":
      return 0;
    case "bytes":
      return body.bytes.byteLength;
    case "readable":
    case "push":
      return body.length;
    default:
      return undefined;
  }
}
