import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { waitFor } from "../../helpers/wait.js";
import { startHealthyLibrary, type HealthyLibrary } from "./grpc-health-server.js";

const healthCheck = { interval: "50ms", timeout: "2s", healthyThreshold: 2, unhealthyThreshold: 2 };

function libraryGateway(targets: unknown[], extra: Record<string, unknown>): Promise<TestGateway> {
  return startGateway({
    protos: { include: ["test/protos"] },
    services: {
      library: { protocol: "grpc", targets, protos: ["rosetta/test/v1/library.proto"], timeout: "3s", ejection: { consecutiveFailures: 1_000_000 }, ...extra },
    },
  });
}

async function statuses(gateway: TestGateway, count: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const response = await request(`${gateway.url}/v1/shelves/${index}`);
      await response.body.dump();
      return response.statusCode;
    }),
  );
}

const shelfCalls = (library: HealthyLibrary) => library.server.calls.filter((call) => call.method === "GetShelf").length;

async function withLibraries(body: (a: HealthyLibrary, b: HealthyLibrary) => Promise<void>): Promise<void> {
  const a = await startHealthyLibrary();
  const b = await startHealthyLibrary();
  try {
    await body(a, b);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

for (const transport of ["http2", "grpc-js"] as const) {
  test(`${transport} transport: grpc.health.v1 NOT_SERVING takes a target out of rotation, SERVING brings it back`, () =>
    withLibraries(async (a, b) => {
      const gateway = await libraryGateway([a.target, b.target], { unaryTransport: transport, healthCheck });
      try {
        b.statuses.set("", "NOT_SERVING");
        const checks = b.checks;
        await waitFor(() => b.checks >= checks + 3, "b to report NOT_SERVING");
        const before = shelfCalls(b);
        assert.equal(await statuses(gateway, 10), Array(10).fill(200));
        assert.is(shelfCalls(b), before, "no call reached b");
        b.statuses.set("", "SERVING");
        await waitFor(async () => (await statuses(gateway, 4)) && shelfCalls(b) > before, "b to come back", 10_000);
      } finally {
        await gateway.stop();
      }
    }));
}

test("healthCheck.service asks about that service by name", () =>
  withLibraries(async (a, b) => {
    a.statuses.set("rosetta.test.v1.Library", "SERVING");
    b.statuses.set("rosetta.test.v1.Library", "NOT_SERVING");
    const gateway = await libraryGateway([a.target, b.target], { healthCheck: { ...healthCheck, service: "rosetta.test.v1.Library" } });
    try {
      await waitFor(() => b.checks >= 3, "b to be checked");
      assert.equal(await statuses(gateway, 10), Array(10).fill(200));
      assert.is(shelfCalls(b), 0);
      assert.is(shelfCalls(a), 10);
    } finally {
      await gateway.stop();
    }
  }));

test("a killed gRPC target is taken out by the health check and back after it restarts; weights apply to gRPC targets", () =>
  withLibraries(async (a, b) => {
    const gateway = await libraryGateway([{ url: a.target, weight: 3 }, b.target], { healthCheck });
    try {
      assert.equal(await statuses(gateway, 40), Array(40).fill(200));
      assert.equal([shelfCalls(a), shelfCalls(b)], [30, 10]);
      await b.stop();
      await waitFor(async () => (await statuses(gateway, 10)).every((status) => status === 200), "b to leave rotation", 10_000);
      await b.restart();
      await waitFor(async () => (await statuses(gateway, 4)) && shelfCalls(b) > 0, "b to come back", 15_000);
    } finally {
      await gateway.stop();
    }
  }));

test("every gRPC target unhealthy with whenAllUnhealthy: none → 503 UNAVAILABLE", () =>
  withLibraries(async (a, b) => {
    a.statuses.set("", "NOT_SERVING");
    b.statuses.set("", "NOT_SERVING");
    const gateway = await libraryGateway([a.target, b.target], { healthCheck: { ...healthCheck, whenAllUnhealthy: "none" } });
    try {
      await waitFor(() => a.checks >= 3 && b.checks >= 3, "both to be checked");
      const response = await request(`${gateway.url}/v1/shelves/1`);
      assert.is(response.statusCode, 503);
      assert.match(await response.body.text(), /no healthy target/);
      assert.is(shelfCalls(a) + shelfCalls(b), 0);
    } finally {
      await gateway.stop();
    }
  }));

test.run();
