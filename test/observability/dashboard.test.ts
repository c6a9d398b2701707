import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { RouteWindow, windowSeconds } from "../../src/observability/dashboard/route-window.js";
import { RecentErrors } from "../../src/observability/dashboard/recent-errors.js";
import type { DashboardSnapshot } from "../../src/observability/dashboard/dashboard-snapshot.js";
import { startGateway } from "../helpers/gateway.js";
import { startHttpTarget } from "../endpoints/balancing/http-targets.js";

/** The dashboard's figures (rolling window, percentiles, error ring) and its endpoints on a real admin socket. */

test("a route window: rate, percentiles and 5xx share over the last complete seconds, table-driven", () => {
  const rows: Array<{ what: string; fill: (window: RouteWindow) => void; now: number; rps: number; p50?: [number, number]; p99?: [number, number]; errorRate: number }> = [
    { what: "nothing recorded", fill: () => {}, now: 20_000, rps: 0, errorRate: 0 },
    {
      what: "100 answers of 4 ms in one second; the 2 ms-3 ms… bucket holds them",
      fill: (window) => {
        for (let index = 0; index < 100; index++) window.record(15_500, 4, 200);
      },
      now: 16_000,
      rps: 100 / windowSeconds,
      p50: [3, 5],
      p99: [3, 5],
      errorRate: 0,
    },
    {
      what: "99 fast and 1 slow answer: p50 fast, p99 at the slow one's bucket edge",
      fill: (window) => {
        for (let index = 0; index < 98; index++) window.record(15_100, 0.3, 200);
        window.record(15_200, 0.3, 503);
        window.record(15_300, 900, 200);
      },
      now: 16_000,
      rps: 100 / windowSeconds,
      p50: [0, 0.5],
      p99: [0, 0.5],
      errorRate: 0.01,
    },
    {
      what: "the current (incomplete) second is not counted yet",
      fill: (window) => window.record(16_200, 1, 200),
      now: 16_500,
      rps: 0,
      errorRate: 0,
    },
    {
      what: "answers older than the window are gone",
      fill: (window) => window.record(1_500, 1, 500),
      now: 1_500 + (windowSeconds + 2) * 1000,
      rps: 0,
      errorRate: 0,
    },
    {
      what: "a slot reused a minute later starts from zero",
      fill: (window) => {
        window.record(5_100, 1, 500);
        window.record(65_100, 1, 200);
      },
      now: 66_000,
      rps: 1 / windowSeconds,
      p50: [0.5, 1],
      errorRate: 0,
    },
  ];
  for (const row of rows) {
    const window = new RouteWindow();
    row.fill(window);
    const figures = window.figures(row.now);
    assert.is(figures.requestsPerSecond, row.rps, row.what);
    assert.is(figures.errorRate, row.errorRate, row.what);
    if (row.p50 === undefined) assert.is(figures.p50Ms, undefined, row.what);
    else assert.ok(figures.p50Ms! > row.p50[0] && figures.p50Ms! <= row.p50[1], `${row.what}: p50 ${figures.p50Ms}`);
    if (row.p99 !== undefined) assert.ok(figures.p99Ms! > row.p99[0] && figures.p99Ms! <= row.p99[1], `${row.what}: p99 ${figures.p99Ms}`);
  }
  const slow = new RouteWindow();
  for (let index = 0; index < 10; index++) slow.record(15_000, index < 5 ? 1 : 900, 200);
  assert.ok(slow.figures(16_000).p99Ms! > 750 && slow.figures(16_000).p99Ms! <= 1000, "p99 lands in the slow bucket");
  const history = slow.history(17_000);
  assert.is(history.length, 60);
  assert.is(history[58], 10, "the second 15 is the last but one complete second at 17 s");
  assert.is(history[59], 0);
});

test("the recent-errors ring keeps the last N, newest first, with long texts clipped", () => {
  const ring = new RecentErrors(3);
  for (let index = 0; index < 5; index++)
    ring.add({ time: index, route: `r${index}`, status: 503, message: "x".repeat(index === 4 ? 1000 : 3), method: "GET", path: "/p", service: undefined, target: undefined });
  const list = ring.list();
  assert.equal(
    list.map((entry) => entry.route),
    ["r4", "r3", "r2"],
  );
  assert.ok(list[0]!.message.length < 400 && list[0]!.message.endsWith("…"));
});

const token = "dashboard-admin-token-0123456789";

test("/dashboard takes the admin token as a header, as ?token= (then a cookie, out of the address bar), never a cookie elsewhere", async () => {
  const upstream = await startHttpTarget("orders-a");
  const gateway = await startGateway({
    admin: { port: 0, token },
    services: { orders: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "orders", match: { path: "/orders" }, upstream: { service: "orders" } }],
  });
  const admin = `http://127.0.0.1:${gateway.gateway.admin!.address().port}`;
  try {
    const bare = await request(`${admin}/dashboard`);
    assert.is(bare.statusCode, 401);
    assert.match(await bare.body.text(), /needs the admin token/);
    const wrong = await request(`${admin}/dashboard?token=not-the-token-at-all-xx`);
    assert.is(wrong.statusCode, 401);
    await wrong.body.text();
    const events401 = await request(`${admin}/dashboard/events`);
    assert.is(events401.statusCode, 401);
    await events401.body.text();

    const login = await request(`${admin}/dashboard?token=${token}`);
    assert.is(login.statusCode, 303);
    assert.is(login.headers.location, "dashboard");
    const setCookie = String(login.headers["set-cookie"]);
    assert.match(setCookie, /^rosetta_admin_token=[^;]+; Path=\/dashboard; HttpOnly; SameSite=Strict$/);
    await login.body.text();
    const cookie = setCookie.split(";")[0]!;

    const page = await request(`${admin}/dashboard`, { headers: { cookie } });
    assert.is(page.statusCode, 200);
    assert.match(String(page.headers["content-security-policy"]), /script-src 'sha256-/);
    assert.match(await page.body.text(), /<title>Rosetta dashboard<\/title>/);
    const withHeader = await request(`${admin}/dashboard`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(withHeader.statusCode, 200);
    await withHeader.body.text();

    // The cookie opens the dashboard only: the rest of the admin API wants the header.
    const reload = await request(`${admin}/reload`, { method: "POST", headers: { cookie } });
    assert.is(reload.statusCode, 401);
    await reload.body.text();
    const config = await request(`${admin}/config?token=${token}`);
    assert.is(config.statusCode, 401);
    await config.body.text();

    for (let index = 0; index < 3; index++) await (await request(`${gateway.url}/orders`)).body.text();
    await (await request(`${gateway.url}/nowhere`)).body.text();
    const snapshot = await request(`${admin}/dashboard/snapshot?token=${token}`);
    assert.is(snapshot.statusCode, 200);
    const body = (await snapshot.body.json()) as DashboardSnapshot;
    assert.equal(
      body.routes.map((route) => route.id),
      ["orders", "unmatched"],
    );
    assert.equal(body.upstreams[0]!.targets[0]!.target, upstream.origin);
    assert.is(body.errors.length, 1);
    assert.is(body.errors[0]!.status, 404);
    assert.is(body.errors[0]!.route, "unmatched");
    assert.match(body.errors[0]!.message, /no route for GET \/nowhere/);
  } finally {
    await gateway.stop(0);
    await upstream.stop();
  }
});

test("/dashboard/events: a snapshot at once, then one a second, while the stream is open", async () => {
  const gateway = await startGateway({ admin: { port: 0 } });
  const admin = `http://127.0.0.1:${gateway.gateway.admin!.address().port}`;
  try {
    const response = await request(`${admin}/dashboard/events`);
    assert.is(response.statusCode, 200);
    assert.match(String(response.headers["content-type"]), /^text\/event-stream/);
    let text = "";
    const deadline = Date.now() + 15_000;
    for await (const chunk of response.body) {
      text += String(chunk);
      if ((text.match(/^data: /gm) ?? []).length >= 2 || Date.now() > deadline) break;
    }
    response.body.destroy();
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((match) => JSON.parse(match[1]!) as DashboardSnapshot);
    assert.is(events.length, 2, text);
    assert.ok(events[1]!.time >= events[0]!.time);
    assert.is(events[0]!.windowSeconds, windowSeconds);
  } finally {
    await gateway.stop(0);
  }
});

test.run();
