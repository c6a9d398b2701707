import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { ConfigError, ConfigErrorCode, formatProblem } from "../options/error-codes.js";
import { loadConfigFile } from "../gateway/load-config.js";
import { validateGatewayConfig, type GatewayConfig } from "../gateway/gateway-config.js";
import { startDemo, type Demo } from "../demo/demo.js";
import { Gateway } from "../gateway/gateway.js";
import { GatewayHost } from "../gateway/gateway-host.js";
import { watchConfigSource } from "../gateway/config-watcher.js";
import { createLogger, silentLogger, type LogLevel } from "../observability/logger.js";
import { builtinPlugins } from "../gateway/plugins.js";
import { formatRoutesTable } from "../observability/routes-table.js";
import { openApiText } from "../gateway/openapi-route.js";
import cluster from "node:cluster";
import { slotFromEnvironment, workerCount } from "../gateway/workers-options.js";
import { workerLogger } from "../observability/worker-logger.js";
import { runSupervisor } from "./supervisor.js";
import { runWorker } from "./worker.js";
import { runBenchCommand } from "../bench/bench-command.js";

const usage = `Usage: rosetta <command> [options]

Commands:
  start [-c gateway.yaml]   run the gateway; without -c, the embedded demo. The config
                            reloads on file change (the etcd key's, with configSource),
                            SIGHUP and the admin POST /reload
  validate -c gateway.yaml  check a config; print every problem; exit 1 on any
  routes -c gateway.yaml    print every route, generated ones included (as /routes?format=text)
  openapi -c gateway.yaml [--yaml]
                            print the OpenAPI 3.1 document of the routes (JSON; --yaml for YAML)
  bench URL [options]       load-test a target (HTTP, WebSocket, TCP, UDP, gRPC), or two side by
                            side with --compare; rosetta bench --help lists its options
  help                      this text
  version                   the version

Options:
  -c, --config FILE         config file (YAML or JSON)
  -p, --port N              demo only: the gateway's port (default 8080)
      --log-level LEVEL     debug | info | warn | error | silent (default info)
      --no-watch            start only: do not reload when the config file (or etcd key) changes
      --yaml                openapi only: print YAML instead of JSON
`;

const hint = "run `rosetta help` for usage";

function parseArguments(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      "log-level": { type: "string" },
      "no-watch": { type: "boolean" },
      yaml: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  // bench has its own options (rosetta bench --help).
  if (argv[0] === "bench") return runBenchCommand(argv.slice(1));
  let parsed: ReturnType<typeof parseArguments>;
  try {
    parsed = parseArguments(argv);
  } catch (error) {
    // parseArgs's own text suggests "--" for positionals, which no command takes.
    const option = /option '([^']+)'/i.exec((error as Error).message)?.[1];
    return fail(option === undefined ? (error as Error).message : `unknown option "${option}"${option === "--version" ? " (did you mean `rosetta version`?)" : ""}; ${hint}`);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (command === undefined && values.help !== true) return fail(`no command given; ${hint}`);
  if (values.help === true || command === "help") {
    process.stdout.write(usage);
    return 0;
  }
  if (command === "version") {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    process.stdout.write(`rosetta ${pkg.version}\n`);
    return 0;
  }
  const plugins = builtinPlugins();
  if (command === "validate") {
    if (values.config === undefined) return fail("validate needs -c FILE");
    // Building the gateway (without binding) also loads protos and checks every route against them.
    // Warnings (a google.api.http binding that cannot be served, say) are printed; they do not fail validation.
    const warnings: string[] = [];
    const collect = { ...silentLogger, warn: (message: string, fields?: Record<string, unknown>) => warnings.push(formatWarning(message, fields)) };
    const gateway = await Gateway.create(await loadConfigFile(values.config, plugins), plugins, collect);
    await gateway.stop(0);
    for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
    process.stdout.write(`${values.config}: valid${warnings.length === 0 ? "" : ` (${warnings.length} warning${warnings.length === 1 ? "" : "s"})`}\n`);
    return 0;
  }
  if (command === "routes") {
    if (values.config === undefined) return fail("routes needs -c FILE");
    // Built like validate (protos loaded, annotation routes generated), never bound.
    const gateway = await Gateway.create(await loadConfigFile(values.config, plugins), plugins, silentLogger);
    const table = formatRoutesTable(gateway.routes());
    await gateway.stop(0);
    process.stdout.write(table);
    return 0;
  }
  if (command === "openapi") {
    if (values.config === undefined) return fail("openapi needs -c FILE");
    // Built like validate (protos loaded, annotation routes generated), never bound.
    const gateway = await Gateway.create(await loadConfigFile(values.config, plugins), plugins, silentLogger);
    const document = gateway.openapi();
    await gateway.stop(0);
    process.stdout.write(openApiText(document, values.yaml === true ? "yaml" : "json"));
    return 0;
  }
  if (command === "start") {
    const level = (values["log-level"] ?? "info") as LogLevel;
    if (!["debug", "info", "warn", "error", "silent"].includes(level)) return fail(`unknown log level "${level}"`);
    const logger = createLogger(level);
    if (values.config !== undefined) {
      const file = values.config;
      // SIGHUP must never end the process (supervisors send it); one that arrives while the gateway starts is
      // kept for after the start, which may have read the file before the change SIGHUP announces.
      let hangUpDuringStart = false;
      const early = () => {
        hangUpDuringStart = true;
      };
      process.on("SIGHUP", early);
      // Read once here to choose the process shape; the host (or each worker's host) reads it again on reload.
      let first: GatewayConfig | undefined = await loadConfigFile(file, plugins);
      const load = async () => {
        const config = first ?? (await loadConfigFile(file, plugins));
        first = undefined;
        return config;
      };
      // `workers` > 1: this process supervises, the forked ones (running this same command) serve.
      const slot = cluster.isWorker ? slotFromEnvironment(process.env) : undefined;
      const workers = workerCount(first.workers);
      const loaded = first;
      const watch = values["no-watch"] === true ? undefined : (changed: (why: string) => void) => watchConfigSource(file, loaded, changed, logger);
      if (slot !== undefined || workers > 1) {
        // Both install their own SIGHUP handler before their first await.
        process.off("SIGHUP", early);
        if (slot !== undefined) return runWorker(load, slot, plugins, workerLogger(logger, slot.slot), hangUpDuringStart);
        return runSupervisor(first, workers, workerLogger(logger, 0), watch);
      }
      const host = await GatewayHost.start({ load, plugins, logger });
      process.off("SIGHUP", early);
      const reload = (why: string) => {
        logger.info("reloading the config", { why, file });
        void host.reload();
      };
      process.on("SIGHUP", () => reload("SIGHUP"));
      if (hangUpDuringStart) reload("SIGHUP while starting");
      const watcher = watch?.(reload);
      logger.info("ready", { config: file, reloadOn: watcher === undefined ? ["SIGHUP", "POST /reload"] : [watcher.trigger, "SIGHUP", "POST /reload"] });
      await waitForSignal();
      logger.info("shutting down");
      watcher?.close();
      const forced = () => process.exit(1);
      process.once("SIGINT", forced);
      process.once("SIGTERM", forced);
      await host.stop();
      return 0;
    }
    process.on("SIGHUP", () => logger.warn("SIGHUP ignored: the demo has no config file to reload"));
    const port = Number(values.port ?? 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) return fail(`invalid port "${values.port}"`);
    const demo: Demo = await startDemo(port);
    const config: GatewayConfig = validateGatewayConfig(demo.config, plugins);
    let gateway: Gateway;
    try {
      gateway = await Gateway.start(config, plugins, logger);
    } catch (error) {
      await demo.stop();
      throw error;
    }
    {
      const { port } = gateway.listeners[0]!.address();
      const url = `http://127.0.0.1:${port}`;
      const tcpFramesPort = gateway.listeners[1]!.address().port;
      process.stdout.write(
        `\nRosetta demo gateway on ${url} (TCP frames on ${tcpFramesPort})\nOpenAPI 3.1 document: ${url}/openapi.json (Swagger UI: docker run --rm -p 8081:8080 -e SWAGGER_JSON_URL=${url}/openapi.json swaggerapi/swagger-ui, then open http://127.0.0.1:8081)\nTry:\n${demo
          .examples(url, tcpFramesPort)
          .map((line) => `  ${line}`)
          .join("\n")}\n\nCtrl-C stops it (in-flight requests finish first).\n`,
      );
    }
    await waitForSignal();
    logger.info("shutting down");
    const forced = () => process.exit(1);
    process.once("SIGINT", forced);
    process.once("SIGTERM", forced);
    await gateway.stop();
    await demo.stop();
    return 0;
  }
  return fail(`unknown command "${command}"; ${hint}`);
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

function fail(message: string): number {
  process.stderr.write(`rosetta: ${message}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError && error.problems.every((problem) => problem.code === ConfigErrorCode.LISTEN)) {
      // The config is fine; the machine is not (a port in use, no permission).
      process.stderr.write(`rosetta: cannot start:\n${error.problems.map((problem) => `  ${problem.message} [${problem.code}]`).join("\n")}\n`);
      process.exit(1);
    }
    if (error instanceof ConfigError) {
      process.stderr.write(
        `${error.problems.length} ${error.problems.length === 1 ? "problem" : "problems"} in the config:\n${error.problems.map((problem) => `  ${formatProblem(problem)}`).join("\n")}\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`rosetta: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

/** `message (key: value, …)` for a warning printed by validate. */
function formatWarning(message: string, fields: Record<string, unknown> | undefined): string {
  const details = Object.entries(fields ?? {}).map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  return details.length === 0 ? message : `${message} (${details.join(", ")})`;
}
