import type { RequestEnvelope } from "../core/envelope.js";
import type { Condition } from "./conditions.js";
import { bindParams, PathMatcher } from "./path-matcher.js";
import type { PathTemplate } from "./path-template.js";

export interface RouteEntry {
  readonly id: string;
  readonly template: PathTemplate;
  /** Upper-case methods; undefined accepts every method. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly condition: Condition | undefined;
}

export type RouteOutcome<R> =
  | { readonly kind: "matched"; readonly route: R; readonly params: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allow: readonly string[] }
  | { readonly kind: "not-found" };

const notFound: RouteOutcome<never> = Object.freeze({ kind: "not-found" });

/**
 * One router for all listeners, compiled once from the routes. The path is
 * looked up in a trie; among the routes whose template matches, the first
 * (most specific, then in config order) whose conditions and method accept
 * the request wins. When the path and conditions match but no method does,
 * the outcome is 405 with the methods that would have.
 */
export class Router<R extends RouteEntry> {
  readonly #matcher = new PathMatcher<R>();

  constructor(routes: readonly R[]) {
    for (const route of routes) this.#matcher.add(route);
  }

  match(request: RequestEnvelope): RouteOutcome<R> {
    const method = request.method;
    let allowed: Set<string> | undefined;
    const found = this.#matcher.find(request.path, (route) => {
      if (route.condition !== undefined && !route.condition(request)) return false;
      const methods = route.methods;
      if (methods === undefined || methods.has(method) || (method === "HEAD" && methods.has("GET"))) return true;
      allowed ??= new Set();
      for (const candidate of methods) allowed.add(candidate);
      return false;
    });
    if (found !== undefined) return { kind: "matched", route: found.entry, params: bindParams(found.entry.template, found.segments) };
    if (allowed === undefined) return notFound;
    if (allowed.has("GET")) allowed.add("HEAD");
    return { kind: "method-not-allowed", allow: [...allowed].sort() };
  }
}
