import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { CodecRegistry } from "../../../src/codecs/codec-registry.js";
import type { Endpoint } from "../../../src/endpoints/endpoint.js";
import { validateGatewayConfig } from "../../../src/gateway/gateway-config.js";
import { builtinPlugins } from "../../../src/gateway/plugins.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { waitFor } from "../../helpers/wait.js";
import { startHealthyLibrary } from "./grpc-health-server.js";
import { startHttpTarget } from "./http-targets.js";

/** A raw net upstream speaking NDJSON frames, answering its own name; stoppable and restartable on its port. */
interface FrameTarget {
  readonly name: string;
  readonly address: string;
  /** Frames answered. */
  calls: number;
  /** Connections accepted (health checks and pooled connections). */
  accepted: number;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

async function startFrameTarget(name: string): Promise<FrameTarget> {
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const target: FrameTarget = {
    name,
    address: "",
    calls: 0,
    accepted: 0,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server!.close(resolve));
    },
    async restart() {
      server = createServer((socket) => {
        target.accepted++;
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => {});
        let pending = "";
        socket.on("data", (chunk) => {
          pending += chunk.toString();
          let newline: number;
          while ((newline = pending.indexOf("\n")) >= 0) {
            const frame = JSON.parse(pending.slice(0, newline)) as { id: string };
            pending = pending.slice(newline + 1);
            target.calls++;
            socket.write(`${JSON.stringify({ id: frame.id, status: 200, body: { name } })}\n`);
          }
        });
      }).listen(port, "127.0.0.1");
      await once(server, "listening");
    },
  };
  await target.restart();
  port = (server!.address() as { port: number }).port;
  (target as { address: string }).address = `127.0.0.1:${port}`;
  return target;
}

const healthCheck = { interval: "50ms", timeout: "2s", healthyThreshold: 2, unhealthyThreshold: 2 };
const noEjection = { ejection: { consecutiveFailures: 1_000_000 }, reconnectDelay: "10ms", maxReconnectDelay: "20ms" };

function stockGateway(targets: unknown[], extra: Record<string, unknown> = {}): Promise<TestGateway> {
  return startGateway({ services: { stock: { protocol: "tcp", targets, healthCheck, ...noEjection, ...extra } }, routes: [{ id: "stock", upstream: { service: "stock" } }] });
}

async function names(gateway: TestGateway, count: number): Promise<string[]> {
  const result: string[] = [];
  for (let index = 0; index < count; index++) {
    const response = await fetch(`${gateway.url}/stock/${index}`);
    result.push(response.status === 200 ? ((await response.json()) as { name: string }).name : String(response.status));
  }
  return result;
}

test("tcp: weights apply; a killed target is taken out by the connect check and back after it restarts", async () => {
  const a = await startFrameTarget("a");
  const b = await startFrameTarget("b");
  const gateway = await stockGateway([a.address, { url: b.address, weight: 2 }]);
  try {
    const seen = await names(gateway, 30);
    assert.equal([seen.filter((name) => name === "a").length, seen.filter((name) => name === "b").length], [10, 20]);
    await b.stop();
    await waitFor(async () => (await names(gateway, 6)).every((name) => name === "a"), "b to leave rotation", 10_000);
    await b.restart();
    const before = b.calls;
    await waitFor(async () => (await names(gateway, 3)) && b.calls > before, "b to come back", 10_000);
  } finally {
    await gateway.stop();
    await a.stop();
    await b.stop();
  }
});

test("an endpoint reports each target's health, ejection and weight through targets()", async () => {
  const a = await startFrameTarget("a");
  const b = await startFrameTarget("b");
  const plugins = builtinPlugins();
  const config = validateGatewayConfig(
    {
      listeners: [{ name: "web", protocol: "http", port: 0 }],
      services: { stock: { protocol: "tcp", targets: [a.address, { url: b.address, weight: 4 }], healthCheck } },
      routes: [{ id: "stock", upstream: { service: "stock" } }],
    },
    plugins,
  );
  const codecs = new CodecRegistry(plugins.codecs.keys().map((name) => plugins.codecs.get(name).create(config.codecs[name])));
  const endpoint: Endpoint<unknown> = await plugins.endpoints.get("tcp").create("stock", config.services.stock!.options, {
    codecs,
    frameFormats: plugins.frameFormats,
    logger: silentLogger,
    protoIncludes: [],
    configPath: "services.stock",
    baseDirectory: process.cwd(),
  });
  try {
    assert.equal(endpoint.targets?.(), [
      { target: a.address, healthy: true, ejected: false, weight: 1 },
      { target: b.address, healthy: true, ejected: false, weight: 4 },
    ]);
    await b.stop();
    await waitFor(() => endpoint.targets?.()[1]?.healthy === false, "b to be reported unhealthy");
    assert.is(endpoint.targets?.()[0]?.healthy, true);
  } finally {
    await endpoint.close();
    await codecs.close();
    await a.stop();
  }
});

test("gateway.stop stops every check: no more probes reach the targets", async () => {
  const a = await startFrameTarget("a");
  const gateway = await stockGateway([a.address]);
  try {
    await waitFor(() => a.accepted >= 3, "a few checks");
  } finally {
    await gateway.stop();
  }
  const accepted = a.accepted;
  // A negative: ten intervals in which a running checker would have connected again.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.is(a.accepted, accepted);
  await a.stop();
});

test("a process running health checks exits by itself after gateway.stop (no leaked timers or probe connections)", async () => {
  const web = await startHttpTarget("web");
  const stock = await startFrameTarget("stock");
  const library = await startHealthyLibrary();
  try {
    const child = spawn(process.execPath, [fileURLToPath(new URL("./health-check-child.js", import.meta.url)), web.origin, stock.address, library.target], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, "exit");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code, signal] = (await exited) as [number | null, string | null];
    clearTimeout(timer);
    assert.is(signal, null, `the child had to be killed: ${output}`);
    assert.is(code, 0);
    assert.is(output, "stopped 200");
    assert.ok(web.checks > 0 && stock.accepted > 0 && library.checks > 0, `checks: http ${web.checks}, tcp ${stock.accepted}, grpc ${library.checks}`);
  } finally {
    await web.stop();
    await stock.stop();
    await library.stop();
  }
});

test.run();
