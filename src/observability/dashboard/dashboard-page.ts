import { createHash } from "node:crypto";

/**
 * The dashboard page: one HTML document with its CSS and script inline, no
 * build step and no dependency. The script opens an EventSource on
 * `<page path>/events` and redraws from each JSON snapshot with DOM calls
 * (textContent, never innerHTML: route ids and error messages come from
 * config and callers). Sparklines are inline SVG polylines.
 */
const style = `
:root { color-scheme: light; --fg: #1d2330; --muted: #6b7385; --line: #e3e6ec; --bg: #f6f7f9; --card: #fff;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --accent: #3b5bdb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0; }
#status { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #eee; color: var(--muted); }
#status.live { background: #dafbe1; color: var(--ok); }
#updated { margin-left: auto; color: var(--muted); font-size: 12px; }
main { padding: 16px 20px; display: grid; gap: 16px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.tile, section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile .label { color: var(--muted); font-size: 12px; }
.tile .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-top: 1px solid var(--line); vertical-align: middle; }
th { border-top: 0; font-weight: 500; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; }
td.error { color: var(--bad); font-weight: 600; }
.sub { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); padding: 6px 8px; }
.services { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 10px; }
.service { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.service .name { font-weight: 600; }
.badge { display: inline-block; font-size: 11px; padding: 1px 7px; border-radius: 9px; margin-left: 6px; background: #eef0f4; color: var(--muted); }
.badge.closed, .badge.healthy { background: #dafbe1; color: var(--ok); }
.badge.open, .badge.unhealthy { background: #ffebe9; color: var(--bad); }
.badge.half-open, .badge.ejected { background: #fff8c5; color: var(--warn); }
.service ul { list-style: none; margin: 6px 0 0; padding: 0; }
.service li { display: flex; justify-content: space-between; gap: 8px; padding: 2px 0; font-family: ui-monospace, monospace; font-size: 12px; }
svg.spark { display: block; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
svg.spark polygon { fill: var(--accent); opacity: .12; stroke: none; }
.status-5 { color: var(--bad); font-weight: 600; }
.status-4 { color: var(--warn); font-weight: 600; }
td.message { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-word; }
`;

const script = `
"use strict";
const byId = (id) => document.getElementById(id);
const svgNs = "http://www.w3.org/2000/svg";
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}
function cell(text, className, field) {
  const node = el("td", className, text);
  if (field) node.dataset.field = field;
  return node;
}
function emptyRow(text, span) {
  const row = el("tr");
  const only = el("td", "empty", text);
  only.colSpan = span;
  row.append(only);
  return row;
}
function sparkline(values, width, height) {
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  if (!values || values.length < 2) return svg;
  const max = Math.max(1, ...values);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => (i * step).toFixed(1) + "," + (height - 1 - (v / max) * (height - 3)).toFixed(1));
  const area = document.createElementNS(svgNs, "polygon");
  area.setAttribute("points", "0," + height + " " + points.join(" ") + " " + width + "," + height);
  const line = document.createElementNS(svgNs, "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(area, line);
  return svg;
}
const ms = (v) => (v == null ? "–" : v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : String(Math.round(v))) + (v == null ? "" : " ms");
const perSecond = (v) => (v < 10 ? v.toFixed(1) : String(Math.round(v)));
const percent = (v) => (v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1) + "%";
const clock = (t) => new Date(t).toLocaleTimeString([], { hour12: false });

function renderRoutes(routes) {
  const body = byId("routes");
  body.replaceChildren(...routes.map((route) => {
    const row = el("tr");
    row.dataset.route = route.id;
    const name = cell(route.id, "", "id");
    if (route.path) name.append(el("div", "sub", (route.methods ? route.methods.join(",") + " " : "") + route.path));
    const chart = el("td");
    chart.append(sparkline(route.history, 120, 24));
    row.append(name, cell(route.service || "–", "", "service"), cell(route.listeners ? route.listeners.join(", ") : "all", "sub", "listeners"),
      cell(perSecond(route.requestsPerSecond), "num", "rps"), chart, cell(ms(route.p50Ms), "num", "p50"), cell(ms(route.p99Ms), "num", "p99"),
      cell(percent(route.errorRate), route.errorRate > 0 ? "num error" : "num", "errors"));
    return row;
  }));
  if (routes.length === 0) body.append(emptyRow("no routes", 8));
}

function renderUpstreams(upstreams) {
  const list = byId("upstreams");
  list.replaceChildren(...upstreams.map((upstream) => {
    const card = el("div", "service");
    card.dataset.service = upstream.service;
    const title = el("div");
    title.append(el("span", "name", upstream.service), el("span", "badge", upstream.protocol));
    if (upstream.circuit) {
      const circuit = el("span", "badge circuit " + upstream.circuit, "circuit " + upstream.circuit);
      circuit.dataset.field = "circuit";
      title.append(circuit);
    }
    const targets = el("ul");
    for (const target of upstream.targets) {
      const state = target.ejected ? "ejected" : target.healthy ? "healthy" : "unhealthy";
      const item = el("li");
      item.dataset.target = target.target;
      const health = el("span", "badge health " + state, state);
      health.dataset.field = "health";
      item.append(el("span", "", target.target + (target.weight !== 1 ? " ×" + target.weight : "")), health);
      targets.append(item);
    }
    if (upstream.targets.length === 0) targets.append(el("li", "sub", "no target report"));
    card.append(title, targets);
    return card;
  }));
  if (upstreams.length === 0) list.append(el("div", "empty", "no services"));
}

function renderErrors(errors) {
  const body = byId("errors");
  body.replaceChildren(...errors.map((error) => {
    const row = el("tr");
    const where = error.method + " " + error.path + (error.target ? " → " + error.target : error.service ? " → " + error.service : "");
    const message = cell(error.message, "message", "message");
    message.append(el("div", "sub", where));
    row.append(cell(clock(error.time), "sub", "time"), cell(error.route, "", "route"), cell(error.status, "status-" + String(error.status)[0], "status"), message);
    return row;
  }));
  if (errors.length === 0) body.append(emptyRow("none recently", 4));
}

function render(snapshot) {
  byId("total-rps").textContent = perSecond(snapshot.totals.requestsPerSecond);
  byId("total-errors").textContent = percent(snapshot.totals.errorRate);
  byId("total-spark").replaceChildren(sparkline(snapshot.totals.history, 160, 28));
  const targets = snapshot.upstreams.flatMap((upstream) => upstream.targets);
  byId("healthy-targets").textContent = targets.filter((t) => t.healthy && !t.ejected).length + " / " + targets.length;
  byId("error-count").textContent = String(snapshot.errors.length);
  renderRoutes(snapshot.routes);
  renderUpstreams(snapshot.upstreams);
  renderErrors(snapshot.errors);
  byId("updated").textContent = "updated " + clock(snapshot.time) + " · figures over the last " + snapshot.windowSeconds + " s";
}

function setStatus(text, live) {
  const status = byId("status");
  status.textContent = text;
  status.className = live ? "live" : "";
}

function connect() {
  const source = new EventSource(location.pathname.replace(/\\/?$/, "/events"));
  source.onmessage = (event) => {
    render(JSON.parse(event.data));
    setStatus("live", true);
  };
  source.onerror = () => {
    setStatus("reconnecting…", false);
    // A refused or failed stream is not retried by EventSource itself.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
  };
}
connect();
`;

const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rosetta dashboard</title>
<style>${style}</style>
</head>
<body>
<header><h1>Rosetta</h1><span id="status">connecting…</span><span id="updated"></span></header>
<main>
<div class="tiles">
  <div class="tile"><div class="label">requests/s</div><div class="value" id="total-rps">–</div><div id="total-spark"></div></div>
  <div class="tile"><div class="label">error rate (5xx)</div><div class="value" id="total-errors">–</div></div>
  <div class="tile"><div class="label">healthy targets</div><div class="value" id="healthy-targets">–</div></div>
  <div class="tile"><div class="label">recent errors</div><div class="value" id="error-count">–</div></div>
</div>
<section><h2>Routes</h2>
<table><thead><tr><th>route</th><th>service</th><th>listeners</th><th class="num">req/s</th><th>last minute</th><th class="num">p50</th><th class="num">p99</th><th class="num">5xx</th></tr></thead>
<tbody id="routes"></tbody></table></section>
<section><h2>Upstreams</h2><div class="services" id="upstreams"></div></section>
<section><h2>Recent errors</h2>
<table><thead><tr><th>time</th><th>route</th><th>status</th><th>message</th></tr></thead><tbody id="errors"></tbody></table></section>
</main>
<script>${script}</script>
</body>
</html>
`;

const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** The page, built once. */
export const dashboardHtml = Buffer.from(body);

/** Only this page's own inline style and script run; it may connect to its own origin only. */
export const dashboardContentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${hash(script)}`,
  `style-src ${hash(style)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
