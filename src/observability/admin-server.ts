import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Dashboard } from "./dashboard/dashboard.js";
import type { LiveStats } from "./dashboard/live-stats.js";
import { formatRoutesTable, type RouteRow } from "./routes-table.js";
import type { UpstreamStatus } from "./upstream-status.js";

/** What the admin listener shows; the gateway provides it. */
export interface AdminSources {
  /** Whether the gateway should get traffic, and if not, why. */
  readiness(): { readonly ready: boolean; readonly reasons: readonly string[] };
  metrics(): Promise<{ readonly contentType: string; readonly text: string }>;
  routes(): readonly RouteRow[];
  upstreams(): readonly UpstreamStatus[];
  /** The config document with secrets redacted. */
  config(): unknown;
  /** Reloads the config; returns undefined while reload is not available (POST /reload answers 501). */
  reload(): ReturnType<ReloadHandler> | undefined;
  /** The live per-route figures /dashboard shows; absent, its routes show no traffic. */
  readonly live?: LiveStats | undefined;
}

/** What POST /reload runs: the status and JSON body to answer with. */
export type ReloadHandler = () => Promise<{ readonly status: number; readonly body: unknown }>;

export interface AdminOptions {
  readonly host: string;
  readonly port: number;
  /** A bearer token every request must present; undefined: none (bind to loopback). */
  readonly token: string | undefined;
}

/**
 * The admin listener: a small node:http server apart from the traffic
 * listeners, so a scrape or a health probe never competes with routing and
 * can be bound to loopback only. Every answer is JSON except /metrics and
 * /routes?format=text.
 */
export class AdminServer {
  readonly #server: Server;
  readonly #options: AdminOptions;
  readonly #sources: AdminSources;
  readonly #tokenDigest: Buffer | undefined;
  readonly #dashboard: Dashboard;
  #started: Promise<void> | undefined;

  constructor(options: AdminOptions, sources: AdminSources) {
    this.#options = options;
    this.#sources = sources;
    this.#tokenDigest = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);
    this.#dashboard = new Dashboard({ routes: () => sources.routes(), upstreams: () => sources.upstreams(), live: sources.live }, (header) => this.#authorized(header), options.token !== undefined);
    this.#server = createServer((request, response) => {
      this.#serve(request, response).catch((error: unknown) => send(response, 500, { error: error instanceof Error ? error.message : String(error) }));
    });
    this.#server.keepAliveTimeout = 5000;
  }

  start(): Promise<void> {
    this.#started ??= new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    return this.#started;
  }

  address(): { readonly host: string; readonly port: number } {
    const address = this.#server.address() as AddressInfo | null;
    return { host: this.#options.host, port: address?.port ?? this.#options.port };
  }

  close(): Promise<void> {
    if (this.#started === undefined) return Promise.resolve();
    this.#dashboard.close();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://admin");
    // The dashboard checks the token itself: a browser also sends it as ?token= or a cookie.
    if (Dashboard.owns(url.pathname)) return this.#dashboard.serve(request, response, url);
    if (!this.#authorized(request.headers.authorization)) {
      response.setHeader("www-authenticate", 'Bearer realm="rosetta-admin"');
      return send(response, 401, { error: "a valid bearer token is required" });
    }
    const route = `${request.method} ${url.pathname}`;
    const sources = this.#sources;
    switch (route) {
      case "GET /healthz":
        return send(response, 200, { status: "alive" });
      case "GET /readyz": {
        const { ready, reasons } = sources.readiness();
        return send(response, ready ? 200 : 503, ready ? { status: "ready" } : { status: "not ready", reasons });
      }
      case "GET /metrics": {
        const { contentType, text } = await sources.metrics();
        response.writeHead(200, { "content-type": contentType });
        response.end(text);
        return;
      }
      case "GET /routes":
        if (url.searchParams.get("format") === "text") {
          response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
          response.end(formatRoutesTable(sources.routes()));
          return;
        }
        return send(response, 200, { routes: sources.routes() });
      case "GET /upstreams":
        return send(response, 200, { services: sources.upstreams() });
      case "GET /config":
        return send(response, 200, sources.config());
      case "POST /reload": {
        const reloading = sources.reload();
        if (reloading === undefined) return send(response, 501, { error: "reload not available" });
        const { status, body } = await reloading;
        return send(response, status, body);
      }
      default:
        return send(response, 404, {
          error: `no admin endpoint ${route}`,
          endpoints: ["GET /healthz", "GET /readyz", "GET /metrics", "GET /routes", "GET /upstreams", "GET /config", "POST /reload", "GET /dashboard"],
        });
    }
  }

  /** Compares digests, so the time taken does not tell how much of the token was right. */
  #authorized(header: string | undefined): boolean {
    if (this.#tokenDigest === undefined) return true;
    return header !== undefined && timingSafeEqual(digest(header), this.#tokenDigest);
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  response.end(text);
}
