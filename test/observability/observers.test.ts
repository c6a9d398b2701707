import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { parsePrometheusText } from "../helpers/prometheus-text.js";
import { startGateway } from "../helpers/gateway.js";
import { startUpstream } from "../helpers/upstream.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Metrics and the access log on one gateway: both read the one outcome
 * record the pipeline fills per request (route, service, the target the
 * balancer chose, upstream time), and the trace context the access log asks
 * for goes upstream even though metrics do not read it.
 */
test("metrics and the access log together: one record, both see the route, service and upstream call", async () => {
  const folder = mkdtempSync(join(tmpdir(), "rosetta-observers-"));
  const file = join(folder, "access.log");
  const upstream = await startUpstream();
  const gateway = await startGateway({
    admin: { port: 0 },
    accessLog: { to: file },
    services: { orders: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "order", match: { path: "/api/orders/{id}" }, upstream: { service: "orders", path: "/v2/orders/{id}" } }],
  });
  try {
    const response = await request(`${gateway.url}/api/orders/7`, { headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
    assert.is(response.statusCode, 200);
    await response.body.text();
    assert.match(String(upstream.received[0]!.headers.traceparent), /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    const lines = () =>
      existsSync(file)
        ? readFileSync(file, "utf8")
            .split("\n")
            .filter((line) => line !== "")
        : [];
    await waitFor(() => lines().length >= 1, "an access-log line");
    const line = JSON.parse(lines()[0]!) as Record<string, unknown>;
    assert.is(line.route, "order");
    assert.is(line.service, "orders");
    assert.is(line.target, upstream.origin);
    assert.is(line.traceId, "0af7651916cd43dd8448eb211c80319c");
    assert.is(line.parentSpanId, "b7ad6b7169203331");
    assert.type(line.upstreamMs, "number");
    const scraped = await request(`http://127.0.0.1:${gateway.gateway.admin!.address().port}/metrics`);
    const families = await parsePrometheusText(await scraped.body.text());
    const value = (family: string, name: string, labels: Record<string, string>) =>
      families.find((candidate) => candidate.name === family)?.samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, want]) => sample.labels[key] === want))?.value;
    assert.is(value("rosetta_requests", "rosetta_requests_total", { route: "order", code: "200" }), 1);
    assert.is(value("rosetta_upstream_duration_seconds", "rosetta_upstream_duration_seconds_count", { service: "orders" }), 1);
  } finally {
    await gateway.stop();
    await upstream.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

test.run();
