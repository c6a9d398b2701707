import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import type { Page } from "puppeteer-core";
import { launchChromium } from "../helpers/chromium.js";
import { startGateway } from "../helpers/gateway.js";
import { startHttpTarget } from "../endpoints/balancing/http-targets.js";

/**
 * The dashboard in a real browser: Debian's chromium (scripts/test-prerequisites.mjs
 * installs it) driven by puppeteer-core over DevTools, against a real gateway
 * with real node:http upstreams. It loads the page with the admin token, sees
 * the routes, sees the figures move under load, sees a killed target turn
 * unhealthy, a breaker open and the errors listed, and keeps a screenshot.
 */
const token = "browser-admin-token-0123456789";
const waitMs = 20_000;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const text = (page: Page, selector: string) => page.$eval(selector, (node) => node.textContent ?? "");

/** The text of `selector` in the page, or undefined while no element matches. */
const textOrNone = (page: Page, selector: string) => page.$eval(selector, (node) => node.textContent ?? "").catch(() => undefined);

/** Polls the page (every 100 ms, bounded) until `check` holds: the page redraws once a second from the event stream. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms waiting for the page to show ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("chromium shows routes, live figures, an unhealthy target, an open breaker and recent errors; a screenshot is kept", async () => {
  const browser = await launchChromium();
  const [a, b] = await Promise.all([startHttpTarget("orders-a"), startHttpTarget("orders-b")]);
  const ghost = `http://127.0.0.1:${await closedPort()}`;
  const gateway = await startGateway({
    admin: { port: 0, token },
    services: {
      orders: {
        protocol: "http",
        targets: [a.origin, b.origin],
        healthCheck: { interval: "100ms", timeout: "1s", healthyThreshold: 1, unhealthyThreshold: 1 },
        circuitBreaker: { consecutiveFailures: 50 },
      },
      inventory: { protocol: "http", targets: [ghost], retries: 0, ejection: { consecutiveFailures: 1000 }, circuitBreaker: { consecutiveFailures: 2, openFor: "60s" } },
    },
    routes: [
      { id: "orders", match: { path: "/orders" }, upstream: { service: "orders" } },
      { id: "stock", match: { path: "/stock/{sku}" }, upstream: { service: "inventory" } },
    ],
  });
  const admin = `http://127.0.0.1:${gateway.gateway.admin!.address().port}`;
  const call = async (path: string) => {
    const response = await request(`${gateway.url}${path}`);
    await response.body.text();
    return response.statusCode;
  };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 720 });
    const loaded = await page.goto(`${admin}/dashboard?token=${token}`, { waitUntil: "load", timeout: waitMs });
    assert.is(loaded?.status(), 200);
    assert.is(new URL(page.url()).search, "", "the token left the address bar");
    await page.waitForSelector('tr[data-route="orders"]', { timeout: waitMs });
    await page.waitForSelector('tr[data-route="stock"]', { timeout: waitMs });
    assert.is(await text(page, "#status"), "live");
    assert.is(await text(page, 'tr[data-route="orders"] [data-field="rps"]'), "0.0");
    assert.is(await text(page, 'tr[data-route="orders"] [data-field="p50"]'), "–");
    assert.is(await text(page, '[data-service="orders"] [data-field="circuit"]'), "circuit closed");

    // Load through the gateway until the page shows it (figures cover complete seconds, so keep it flowing).
    const statuses: number[] = [];
    let loading = true;
    const load = (async () => {
      while (loading && statuses.length < 20_000) statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => call("/orders")))));
    })();
    try {
      await until("requests/s, p99 and a sparkline for orders", async () => {
        const rps = Number(await textOrNone(page, 'tr[data-route="orders"] [data-field="rps"]'));
        const p99 = await textOrNone(page, 'tr[data-route="orders"] [data-field="p99"]');
        return rps > 0 && p99 !== "–" && (await page.$('tr[data-route="orders"] svg polyline')) !== null;
      });
    } finally {
      loading = false;
      await load;
    }
    assert.ok(statuses.length > 0 && statuses.every((status) => status === 200), `orders answered ${statuses.filter((status) => status !== 200).join(",")}`);
    const totalRps = Number(await text(page, "#total-rps"));
    assert.ok(totalRps > 0, `total requests/s ${totalRps}`);
    assert.match(await text(page, 'tr[data-route="orders"] [data-field="p50"]'), /^[\d.]+ ms$/);
    assert.is(await text(page, 'tr[data-route="orders"] [data-field="errors"]'), "0.0%");
    assert.is(await text(page, `[data-service="orders"] li[data-target="${b.origin}"] [data-field="health"]`), "healthy");

    // Kill one target (between calls: a call on a connection cut mid-way is a reset, not retried): the health check takes it out.
    await b.stop();
    await until("the killed target unhealthy", async () => (await textOrNone(page, `[data-service="orders"] li[data-target="${b.origin}"] [data-field="health"]`)) === "unhealthy");
    assert.is(await text(page, `[data-service="orders"] li[data-target="${a.origin}"] [data-field="health"]`), "healthy");
    assert.match(await text(page, "#healthy-targets"), /^2 \/ 3$/);
    for (let index = 0; index < 4; index++) assert.is(await call("/orders"), 200, "the healthy target takes the calls");

    // A service that cannot be reached: 503s, then its breaker opens; both reach the page.
    for (let index = 0; index < 3; index++) assert.is(await call(`/stock/sku-${index}`), 503);
    await until("a recent 503 error of route stock", async () => {
      const rows = await page.$$eval("#errors tr", (nodes) => nodes.map((node) => [node.querySelector('[data-field="route"]')?.textContent, node.querySelector('[data-field="status"]')?.textContent]));
      return rows.some(([route, status]) => route === "stock" && status === "503");
    });
    await until("the inventory breaker open", async () => (await textOrNone(page, '[data-service="inventory"] [data-field="circuit"]')) === "circuit open");
    assert.match(await text(page, "#errors tr:first-child [data-field='message']"), /inventory/);
    await until("a 5xx share for stock", async () => (await textOrNone(page, 'tr[data-route="stock"] [data-field="errors"]')) === "100.0%");

    const directory = mkdtempSync(join(tmpdir(), "rosetta-dashboard-"));
    const screenshot = join(directory, "dashboard.png");
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
    console.log(`dashboard screenshot: ${screenshot}`);
  } finally {
    await browser.close();
    await gateway.stop(0);
    await Promise.all([a.stop(), b.stop().catch(() => {})]);
  }
});

test.run();
