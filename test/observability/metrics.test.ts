import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parsePrometheusText, type PromFamily } from "../helpers/prometheus-text.js";
import { request } from "undici";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";
import { tcpClient, wsClient } from "../helpers/frame-clients.js";

/**
 * Metrics over real sockets: HTTP and frame callers (WebSocket, TCP) go
 * through the gateway, /metrics is scraped from the admin listener and read
 * by the official Prometheus client's text parser (Python).
 */
const metrics = suite<{ upstream: TestUpstream; gateway: TestGateway; admin: string }>("metrics");

metrics.before(async (context) => {
  context.upstream = await startUpstream();
  context.gateway = await startGateway({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
      { name: "sock", protocol: "ws", host: "127.0.0.1", port: 0 },
      { name: "lines", protocol: "tcp", host: "127.0.0.1", port: 0 },
    ],
    admin: { port: 0 },
    services: { echo: { protocol: "http", targets: [context.upstream.origin] } },
    routes: [{ id: "orders", match: { path: "/api/orders/{id}" }, upstream: { service: "echo", path: "/v2/orders/{id}" } }],
  });
  context.admin = `http://127.0.0.1:${context.gateway.gateway.admin!.address().port}`;
});

metrics.after(async (context) => {
  await context.gateway.stop();
  await context.upstream.close();
});

async function scrape(admin: string) {
  const response = await request(`${admin}/metrics`);
  assert.is(response.statusCode, 200);
  assert.match(String(response.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.body.text());
}

type Families = readonly PromFamily[];

/** A family by its name as the parser gives it (counters lose `_total`). */
function family(families: Families, name: string): PromFamily {
  const found = families.find((candidate) => candidate.name === name || `${candidate.name}_total` === name);
  if (found === undefined) throw new Error(`no metric ${name}`);
  return found;
}

/** The value of the first sample named `name` (e.g. x_count) carrying these labels; 0 when there is none. */
function sample(families: Families, name: string, labels: Record<string, string>, familyName = name.replace(/_(count|sum|bucket)$/, "")): number {
  const found = family(families, familyName).samples.find((candidate) => candidate.name === name && Object.entries(labels).every(([key, value]) => candidate.labels[key] === value));
  return found?.value ?? 0;
}

const series = (families: Families, name: string, sampleName: string) => family(families, name).samples.filter((candidate) => candidate.name === sampleName);

metrics("HTTP requests move the counter by listener, protocol, route and the status the caller got", async ({ gateway, admin }) => {
  const before = sample(await scrape(admin), "rosetta_requests_total", { listener: "web", route: "orders", code: "200" });
  for (let index = 0; index < 3; index++) {
    const response = await request(`${gateway.url}/api/orders/${index}`);
    assert.is(response.statusCode, 200);
    await response.body.text();
  }
  const families = await scrape(admin);
  assert.is(sample(families, "rosetta_requests_total", { listener: "web", protocol: "http", route: "orders", code: "200" }), before + 3);
  assert.is(family(families, "rosetta_requests_total").type, "counter");
  assert.is(family(families, "rosetta_request_duration_seconds").type, "histogram");
  const labels = { listener: "web", protocol: "http", route: "orders" };
  const count = sample(families, "rosetta_request_duration_seconds_count", labels);
  assert.ok(count >= 3);
  assert.is(sample(families, "rosetta_request_duration_seconds_bucket", { ...labels, le: "+Inf" }), count, "buckets end at +Inf with the count");
  assert.ok(sample(families, "rosetta_upstream_duration_seconds_count", { service: "echo" }) >= 3);
  assert.ok(sample(families, "rosetta_route_match_seconds_count", {}) >= 3);
  assert.ok(sample(families, "rosetta_response_body_bytes_count", { route: "orders" }) >= 3);
  assert.is(family(families, "rosetta_requests_in_flight").type, "gauge");
});

metrics("frame calls on WebSocket and TCP are counted like HTTP calls, with the status their reply frame carries", async ({ gateway, admin }) => {
  const [, ws, tcp] = gateway.gateway.listeners;
  const socket = await wsClient(`ws://127.0.0.1:${ws!.address().port}/`);
  const lines = await tcpClient(tcp!.address().port);
  try {
    const wsReply = await socket.call({ id: "1", method: "GET", path: "/api/orders/7" });
    assert.is(wsReply.at(-1)!.status, 200);
    const missing = await lines.call({ id: "2", method: "GET", path: "/nowhere" });
    assert.is(missing.at(-1)!.status, 404);
    const found = await lines.call({ id: "3", method: "GET", path: "/api/orders/8" });
    assert.is(found.at(-1)!.status, 200);
  } finally {
    await socket.close();
    lines.close();
  }
  const families = await scrape(admin);
  assert.is(sample(families, "rosetta_requests_total", { listener: "sock", protocol: "ws", route: "orders", code: "200" }), 1);
  assert.is(sample(families, "rosetta_requests_total", { listener: "lines", protocol: "tcp", route: "orders", code: "200" }), 1);
  assert.is(sample(families, "rosetta_requests_total", { listener: "lines", protocol: "tcp", route: "unmatched", code: "404" }), 1);
});

metrics("labels stay bounded: 100 distinct unknown paths make one `unmatched` series, never a path", async ({ gateway, admin }) => {
  for (let index = 0; index < 100; index++) {
    const response = await request(`${gateway.url}/unknown/path-${index}?q=${index}`);
    assert.is(response.statusCode, 404);
    await response.body.text();
  }
  const families = await scrape(admin);
  const requests = series(families, "rosetta_requests_total", "rosetta_requests_total");
  const unmatched = requests.filter((metric) => metric.labels.listener === "web" && metric.labels.route === "unmatched");
  assert.is(unmatched.length, 1);
  assert.is(unmatched[0]!.value, 100);
  for (const metric of families.flatMap((candidate) => candidate.samples)) {
    for (const value of Object.values(metric.labels)) assert.ok(!value.startsWith("/unknown"), `no path as a label value: ${metric.name} ${value}`);
  }
  assert.is(
    series(families, "rosetta_request_duration_seconds", "rosetta_request_duration_seconds_count").filter((metric) => metric.labels.route === "unmatched" && metric.labels.listener === "web").length,
    1,
  );
});

metrics("codec time is measured by codec and direction", async ({ gateway, admin }) => {
  // An XML caller to a JSON upstream: the request is decoded as XML, the reply encoded as XML.
  const response = await request(`${gateway.url}/api/orders/9`, { method: "POST", headers: { "content-type": "application/xml", accept: "application/xml" }, body: "<order><item>tea</item></order>" });
  await response.body.text();
  const families = await scrape(admin);
  assert.is(family(families, "rosetta_codec_duration_seconds").type, "histogram");
  assert.ok(sample(families, "rosetta_codec_duration_seconds_count", { codec: "xml", direction: "decode" }) >= 1, "the XML request was decoded");
  assert.ok(sample(families, "rosetta_codec_duration_seconds_count", { codec: "xml", direction: "encode" }) >= 1, "the reply was encoded as XML");
});

metrics("default process metrics and event-loop delay are exported", async ({ admin }) => {
  const families = await scrape(admin);
  for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p99_seconds", "nodejs_heap_size_used_bytes"])
    assert.ok(family(families, name).samples.length > 0, name);
});

metrics.run();
