// The Debian programs the tests drive as real third-party clients/servers. `npm test`
// installs what is missing (these machines run as root); where it cannot, it stops
// with the exact command to run, rather than letting tests fail for an unclear reason.
import { execFileSync, spawnSync } from "node:child_process";

/** command (or a shell check) → the Debian package that provides it. */
const required = [
  ["curl", "curl"],
  ["openssl", "openssl"],
  ["redis-server", "redis-server"],
  // The fleet tests read and watch their config in a real etcd.
  ["etcd", "etcd-server"],
  // The browser the dashboard test drives with puppeteer-core (no browser download).
  ["chromium", "chromium"],
  // Rosetta's HTTP/2 client is tested against a grpc-go server built offline from Debian's Go packages.
  ["go", "golang-go"],
  ["test -d /usr/share/gocode/src/google.golang.org/grpc", "golang-google-grpc-dev"],
  // The official Prometheus text parser, on Debian's own python3 (test/helpers/prometheus-text.ts).
  ["/usr/bin/python3 -c 'import prometheus_client.parser'", "python3-prometheus-client"],
];

const has = (check) => spawnSync("sh", ["-c", check.includes(" ") ? check : `command -v ${check}`], { stdio: "ignore" }).status === 0;

export function ensureTestPrerequisites() {
  const missing = required.filter(([command]) => !has(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const install = ["install", "-y", "--no-install-recommends", ...missing];
  const root = process.getuid?.() === 0;
  if (root && has("apt-get")) {
    process.stdout.write(`Installing test prerequisites: ${missing.join(" ")}\n`);
    const quiet = { stdio: ["ignore", "ignore", "inherit"] };
    try {
      execFileSync("apt-get", install, quiet);
    } catch {
      execFileSync("apt-get", ["update"], quiet);
      execFileSync("apt-get", install, quiet);
    }
    return;
  }
  process.stderr.write(`The tests need ${missing.join(", ")}. Install with:\n  sudo apt-get install -y ${missing.join(" ")}\n`);
  process.exit(1);
}
