import type { RequestEnvelope, ResponseEnvelope } from "../../core/envelope.js";
import type { RequestOutcome } from "../request-observer.js";
import { RecentErrors, type RecentError } from "./recent-errors.js";
import { RouteWindow, type WindowFigures } from "./route-window.js";

/** One route's live figures and its requests/s history (oldest first). */
export interface RouteFigures extends WindowFigures {
  readonly history: readonly number[];
}

/**
 * What the dashboard reads: a rolling window per route and the last error
 * answers. Fed by the metrics hook (GatewayMetrics.finished), which keeps
 * each route's window beside its metric children, so recording costs no
 * lookup; a window is made on a route's first request.
 */
export class LiveStats {
  readonly #windows = new Map<string, RouteWindow>();
  readonly #errors = new RecentErrors();

  /** The window of one route id ("unmatched" included), made on first use. */
  windowOf(route: string): RouteWindow {
    let window = this.#windows.get(route);
    if (window === undefined) {
      window = new RouteWindow();
      this.#windows.set(route, window);
    }
    return window;
  }

  /**
   * Counts one answer. An answer is listed among the recent errors when
   * Rosetta made it from a failure (a rejection, no route, an upstream that
   * could not be reached) or when it is a 5xx passed through from upstream.
   */
  record(window: RouteWindow, route: string, request: RequestEnvelope, response: ResponseEnvelope, outcome: RequestOutcome): void {
    window.record(outcome.finishedAt, outcome.finishedAt - outcome.startedAt, response.status);
    if (response.status < 500 && response.error === undefined) return;
    this.#errors.add({
      time: Date.now(),
      route,
      status: response.status,
      message: response.error?.message ?? `upstream answered ${response.status}`,
      method: request.method,
      path: request.path,
      service: outcome.service,
      target: outcome.target,
    });
  }

  /** Each route's figures at `nowMs` (performance.now()); routes without a request yet are absent. */
  figures(nowMs = performance.now()): Map<string, RouteFigures> {
    const result = new Map<string, RouteFigures>();
    for (const [route, window] of this.#windows) result.set(route, { ...window.figures(nowMs), history: window.history(nowMs) });
    return result;
  }

  /** The last error answers, newest first. */
  recentErrors(): RecentError[] {
    return this.#errors.list();
  }
}
