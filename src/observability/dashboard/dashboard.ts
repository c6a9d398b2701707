import type { IncomingMessage, ServerResponse } from "node:http";
import { dashboardContentSecurityPolicy, dashboardHtml } from "./dashboard-page.js";
import { dashboardSnapshot, type DashboardSources } from "./dashboard-snapshot.js";

/** The cookie that carries the admin token for the page and its event stream. */
export const dashboardCookie = "rosetta_admin_token";
/** Open event streams at once; more are answered 503 (each costs a snapshot a second). */
const maxStreams = 16;
/** A stream whose socket has this much unsent is dropped rather than buffered without bound. */
const maxBacklog = 1024 * 1024;
const intervalMs = 1000;

/** Whether an Authorization header value is the admin token (always true when no token is configured). */
export type Authorize = (authorization: string | undefined) => boolean;

/**
 * `/dashboard` on the admin listener: the page, `/dashboard/events` (one
 * JSON snapshot a second as server-sent events, computed only while some
 * stream is open, once for all of them) and `/dashboard/snapshot` (one
 * snapshot as JSON). A browser cannot send a bearer header from a link or an
 * EventSource, so these paths also take the token as `?token=` or from the
 * cookie that `/dashboard?token=` sets (HttpOnly, SameSite=Strict, path
 * /dashboard) before redirecting to the bare page, out of the address bar.
 * The other admin endpoints keep taking the header only, so a cookie can
 * never reach POST /reload.
 */
export class Dashboard {
  readonly #sources: DashboardSources;
  readonly #authorize: Authorize;
  readonly #tokenRequired: boolean;
  readonly #streams = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;

  constructor(sources: DashboardSources, authorize: Authorize, tokenRequired: boolean) {
    this.#sources = sources;
    this.#authorize = authorize;
    this.#tokenRequired = tokenRequired;
  }

  /** Whether this path is the dashboard's. */
  static owns(pathname: string): boolean {
    return pathname === "/dashboard" || pathname.startsWith("/dashboard/");
  }

  serve(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const fromQuery = url.searchParams.get("token");
    const page = url.pathname === "/dashboard";
    if (request.method !== "GET") {
      sendJson(response, 405, { error: `${request.method} is not allowed on ${url.pathname}` }, { allow: "GET" });
    } else if (!this.#authorized(request, fromQuery)) {
      if (page) sendPage(response, 401, unauthorizedPage(fromQuery !== null));
      else sendJson(response, 401, { error: "the admin token is required: Authorization: Bearer …, ?token= or the dashboard cookie" }, { "www-authenticate": 'Bearer realm="rosetta-admin"' });
    } else if (page && fromQuery !== null && this.#tokenRequired) {
      // Keep the token out of the address bar and history: a cookie from here on.
      response.writeHead(303, {
        location: "dashboard",
        "set-cookie": `${dashboardCookie}=${encodeURIComponent(fromQuery)}; Path=/dashboard; HttpOnly; SameSite=Strict`,
        "cache-control": "no-store",
        "content-length": 0,
      });
      response.end();
    } else if (page) {
      sendPage(response, 200, dashboardHtml);
    } else if (url.pathname === "/dashboard/events") {
      this.#stream(response);
    } else if (url.pathname === "/dashboard/snapshot") {
      sendJson(response, 200, dashboardSnapshot(this.#sources));
    } else {
      sendJson(response, 404, { error: `no dashboard endpoint ${url.pathname}`, endpoints: ["GET /dashboard", "GET /dashboard/events", "GET /dashboard/snapshot"] });
    }
  }

  /** Ends every open stream and stops the ticker. */
  close(): void {
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
    this.#stop();
  }

  #authorized(request: IncomingMessage, fromQuery: string | null): boolean {
    if (!this.#tokenRequired) return true;
    const header = request.headers.authorization;
    if (header !== undefined && this.#authorize(header)) return true;
    if (fromQuery !== null && this.#authorize(`Bearer ${fromQuery}`)) return true;
    const cookie = cookieValue(request.headers.cookie, dashboardCookie);
    return cookie !== undefined && this.#authorize(`Bearer ${cookie}`);
  }

  #stream(response: ServerResponse): void {
    if (this.#streams.size >= maxStreams) {
      sendJson(response, 503, { error: `${maxStreams} dashboard streams are open already` }, { "retry-after": "5" });
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
    // The first snapshot at once, so a page is filled without waiting a tick.
    response.write(`retry: 2000\n\n${event(JSON.stringify(dashboardSnapshot(this.#sources)))}`);
    this.#streams.add(response);
    response.once("close", () => {
      this.#streams.delete(response);
      if (this.#streams.size === 0) this.#stop();
    });
    this.#timer ??= setInterval(() => this.#tick(), intervalMs).unref();
  }

  #tick(): void {
    const frame = event(JSON.stringify(dashboardSnapshot(this.#sources)));
    for (const stream of this.#streams) {
      if (stream.writableLength > maxBacklog) stream.destroy();
      else stream.write(frame);
    }
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** One server-sent event; JSON has no raw newlines, so one data line. */
const event = (json: string) => `data: ${json}\n\n`;

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const equals = part.indexOf("=");
    if (equals < 0 || part.slice(0, equals).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(equals + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function sendPage(response: ServerResponse, status: number, html: Buffer): void {
  response.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": html.byteLength,
    "cache-control": "no-store",
    "content-security-policy": dashboardContentSecurityPolicy,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  response.end(html);
}

function unauthorizedPage(tokenWasWrong: boolean): Buffer {
  const why = tokenWasWrong ? "That token is not the admin token." : "This dashboard needs the admin token.";
  return Buffer.from(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rosetta dashboard</title></head><body><p>${why} Open <code>/dashboard?token=…</code> once; a cookie keeps it for this browser.</p></body></html>\n`,
  );
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  response.end(text);
}
