import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseConfigText } from "../../../src/gateway/load-config.js";
import { builtinPlugins } from "../../../src/gateway/plugins.js";
import { ConfigError, type ConfigProblem } from "../../../src/options/error-codes.js";

const plugins = builtinPlugins();

function configWith(service: string): string {
  return `
listeners: [ { name: web, protocol: http, port: 8080 } ]
services:
  orders:
${service
  .trim()
  .split("\n")
  .map((line) => `    ${line}`)
  .join("\n")}
routes: [ { id: all, upstream: { service: orders } } ]
`;
}

function problemsOf(service: string): string[] {
  try {
    parseConfigText(configWith(service), "gateway.yaml", plugins);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem: ConfigProblem) => `${problem.path}: ${problem.message}`);
    throw error;
  }
  return [];
}

test("the DESIGN.md service shape is valid: weighted targets, a balancer, a health check with defaults", () => {
  const config = parseConfigText(
    configWith(`
protocol: http
targets: [ "http://10.0.0.1:7001", { url: "http://10.0.0.2:7001", weight: 3 } ]
loadBalancer: { consistent-hash: { key: header:X-User-Id } }
healthCheck: { interval: 5s, timeout: 1s, path: /healthz, healthyThreshold: 2, unhealthyThreshold: 3 }
`),
    "gateway.yaml",
    plugins,
  );
  const options = config.services.orders!.options as Record<string, unknown>;
  assert.equal(options.targets, [
    { target: "http://10.0.0.1:7001", weight: 1 },
    { target: "http://10.0.0.2:7001", weight: 3 },
  ]);
  assert.equal(options.loadBalancer, { kind: "consistent-hash", key: { kind: "header", name: "x-user-id" } });
  assert.equal(options.healthCheck, {
    interval: 5000,
    timeout: 1000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    whenAllUnhealthy: "all",
    path: "/healthz",
    expectStatus: { min: 200, max: 399 },
  });
});

test("bad balancing and health options are config errors with their paths", () => {
  const problems = problemsOf(`
protocol: http
targets: [ "http://10.0.0.1:7001", { url: "http://10.0.0.2:7001", weight: 0 }, { url: "ftp://x" }, { weight: 2 } ]
loadBalancer: fastest
healthCheck: { interval: 0s, expectStatus: 399-200, whenAllUnhealthy: some, service: x }
`);
  const paths = problems.map((problem) => problem.slice(0, problem.indexOf(":")));
  for (const path of [
    "services.orders.targets[1].weight",
    "services.orders.targets[2].url",
    "services.orders.targets[3].url",
    "services.orders.loadBalancer",
    "services.orders.healthCheck.interval",
    "services.orders.healthCheck.expectStatus",
    "services.orders.healthCheck.whenAllUnhealthy",
    "services.orders.healthCheck.service",
  ]) {
    assert.ok(paths.includes(path), `${path} in ${problems.join("\n")}`);
  }
  assert.match(problems.join("\n"), /unknown load balancer "fastest"/);
});

test("consistent-hash keys are ip or header:NAME; tcp and grpc health checks take only their own keys", () => {
  assert.match(problemsOf(`protocol: tcp\ntargets: [ "127.0.0.1:7300" ]\nloadBalancer: { consistent-hash: { key: cookie:id } }`).join("\n"), /loadBalancer\.consistent-hash\.key: .*ip or header:NAME/);
  assert.match(problemsOf(`protocol: tcp\ntargets: [ { url: "nohost", weight: 2 } ]\nhealthCheck: { path: /healthz }`).join("\n"), /targets\[0\]\.url[\s\S]*healthCheck\.path: unknown key/);
  assert.equal(
    problemsOf(`protocol: grpc\ntargets: [ { url: "127.0.0.1:50051", weight: 2 } ]\nprotos: [ a.proto ]\nloadBalancer: least-request\nhealthCheck: { service: shop.v1.Orders }`).filter((problem) =>
      problem.startsWith("services."),
    ),
    [],
  );
});

test.run();
