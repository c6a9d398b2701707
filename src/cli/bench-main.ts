import { runBenchCommand } from "../bench/bench-command.js";

/**
 * `rosetta bench` without the gateway: bin/rosetta.js comes here for it, so
 * a load generator does not first load every protocol of the gateway (which
 * would cost it most of a second of CPU before its first request).
 */
runBenchCommand(process.argv.slice(3)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rosetta bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
