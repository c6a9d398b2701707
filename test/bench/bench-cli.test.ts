import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchFlags } from "../../src/bench/bench-arguments.js";
import { countingServer } from "./bench-servers.js";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));
const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-"));

function rosetta(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, "bench", ...args], { timeout: 60_000, env: { ...process.env, FORCE_COLOR: "0" } }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }),
    );
  });
}

test("rosetta bench --help documents every flag; every flag the README's bench examples use exists", async () => {
  const { code, stdout } = await rosetta(["--help"]);
  assert.is(code, 0);
  for (const flag of benchFlags) assert.ok(stdout.includes(`--${flag}`), `--${flag} is documented`);
  for (const flag of ["in-flight", "pad", "url", "proto", "import-path", "framing", "path", "html"]) assert.ok(benchFlags.includes(flag), `--${flag}`);
  for (const scheme of ["http(s)://", "ws(s)://", "tcp://", "udp://", "grpc://"]) assert.ok(stdout.includes(scheme), scheme);
  // The README's section, from its heading to the next section of the same level.
  const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
  const section = readme.slice(readme.indexOf("## Benchmarking your services"));
  const examples = section.slice(0, section.indexOf("\n## ", 1));
  const used = new Set([...examples.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => [...(block[1] ?? "").matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)].map((match) => match[1] ?? "")));
  assert.ok(used.size >= 10, `flags found in the README's examples: ${[...used].join(" ")}`);
  for (const flag of used) assert.ok(benchFlags.includes(flag), `the README uses --${flag}, which rosetta bench does not have`);
});

test("bad flags: exit 2 with a message naming the flag", async () => {
  const url = "http://127.0.0.1:9/";
  const rows: Array<[string, string[], RegExp]> = [
    ["no target", [], /no target/],
    ["unknown option", [url, "--conections", "5"], /unknown option "--conections"/],
    ["zero connections", [url, "-c", "0"], /--connections must be a positive integer, not "0"/],
    ["a duration that is not one", [url, "-d", "ten"], /--duration must be a duration like 500ms, 10s or 2m, not "ten"/],
    ["both duration and requests", [url, "-d", "1s", "-n", "10"], /--duration or --requests, not both/],
    ["a zero rate", [url, "--rate", "0"], /--rate must be a positive number, not "0"/],
    ["an unknown protocol", [url, "--protocol", "smtp"], /--protocol must be one of http, ws, tcp, udp, grpc, not "smtp"/],
    ["a scheme that names no protocol", ["ftp://127.0.0.1/"], /cannot tell the protocol/],
    ["a URL that is not one", ["http://"], /is not a URL/],
    ["a header without a colon", [url, "-H", "oops"], /--header "oops" is not "name: value"/],
    ["a body file that is missing", [url, "--body", `@${join(directory, "missing.json")}`], /--body @.*cannot read the file \(ENOENT\)/],
    ["an unknown template", [url, "--body", "{{nope}}"], /unknown body template placeholder \{\{nope\}\}/],
    ["a pid that does not exist", [url, "--pid", "999999999"], /--pid 999999999: no such process/],
    ["two pids without --compare", [url, "--pid", String(process.pid), "--pid", String(process.pid)], /--pid twice needs --compare/],
    ["two URLs", [url, url], /one target URL/],
    ["a --compare- flag without --compare", [url, "--compare-body", "x"], /--compare-body needs --compare/],
    ["a bad --compare-header", [url, "--compare", url, "--compare-header", "nope"], /--compare-header "nope" is not "name: value"/],
    ["zero in flight", ["tcp://127.0.0.1:9", "--in-flight", "0"], /--in-flight must be a positive integer, not "0"/],
    ["a pad past a datagram", ["udp://127.0.0.1:9", "--pad", "70000"], /--pad must be a whole number of bytes from 0 to 65507, not "70000"/],
    ["a negative pad", ["udp://127.0.0.1:9", "--pad=-1"], /--pad must be a whole number of bytes/],
  ];
  // Side by side: each is a process that exits on parsing its flags.
  const results = await Promise.all(rows.map(([, args]) => rosetta(args)));
  rows.forEach(([what, , message], index) => {
    const { code, stderr } = results[index]!;
    assert.is(code, 2, what);
    assert.match(stderr, message, what);
  });
});

test("--json writes the documented report; the table goes to stdout; no progress line off a terminal", async () => {
  const server = await countingServer();
  const file = join(directory, "report.json");
  const bodyFile = join(directory, "body.json");
  writeFileSync(bodyFile, '{"n":{{seq}}}');
  try {
    const { code, stdout, stderr } = await rosetta([server.url, "-n", "50", "-c", "2", "-w", "0", "--workers", "1", "--body", `@${bodyFile}`, "-H", "content-type: application/json", "--json", file]);
    assert.is(code, 0, stderr);
    assert.is(stderr, "");
    assert.match(stdout, /req\/s/);
    assert.match(stdout, /p99 ms/);
    const report = JSON.parse(readFileSync(file, "utf8"));
    assert.is(report.version, 1);
    assert.type(report.startedAt, "string");
    assert.equal(Object.keys(report.settings).sort(), ["connections", "mode", "requests", "rounds", "warmupSeconds", "workers"]);
    const [target] = report.targets;
    for (const key of ["name", "url", "protocol", "requests", "rps", "bytes", "errors", "latencyMs", "latencyCurve", "timeline"]) assert.ok(key in target, key);
    assert.equal(Object.keys(target.latencyMs), ["p50", "p90", "p99", "p999", "max"]);
    assert.is(target.protocol, "http");
    assert.is(target.requests, 50);
    assert.is(server.bodies.length, 50);
    assert.ok(
      server.bodies.every((body) => /^\{"n":\d+\}$/.test(body)),
      "the body file's template was applied, with POST by default",
    );
    assert.is(report.rounds.length, 1);
    assert.is(report.ratios, undefined);
  } finally {
    await server.close();
  }
});

test("--compare with the second target's own method, body and headers: rounds A B A B in the table and the JSON", async () => {
  const first = await countingServer();
  const second = await countingServer((request, response) => response.end(`${request.method} ${request.headers["x-side"]}`));
  const file = join(directory, "compare.json");
  try {
    const args = [
      first.url,
      "-n",
      "20",
      "-c",
      "2",
      "-w",
      "0",
      "--rounds",
      "2",
      "--compare",
      second.url,
      "--compare-method",
      "PUT",
      "--compare-body",
      "b{{seq}}",
      "--compare-header",
      "x-side: B",
      "--json",
      file,
    ];
    const { code, stdout, stderr } = await rosetta(args);
    assert.is(code, 0, stderr);
    assert.match(stdout, /first over second/);
    assert.is(first.seen(), 40);
    assert.is(first.bodies.length, 0, "the first target sends GET without a body");
    assert.is(second.bodies.length, 40);
    assert.ok(second.bodies.every((body) => /^b\d+$/.test(body)));
    const report = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(
      report.rounds.map((round: { target: string }) => round.target),
      [first.url, second.url, first.url, second.url],
    );
    assert.equal(
      report.ratios.map((ratio: { figure: string }) => ratio.figure),
      ["rps", "p50", "p99"],
    );
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

test("on a terminal (a pseudo-terminal from script(1)), a progress line on stderr before the table", async () => {
  const server = await countingServer();
  try {
    const line = [process.execPath, bin, "bench", server.url, "-d", "1200ms", "-c", "1", "-w", "0"].map((word) => `'${word}'`).join(" ");
    const output = await new Promise<string>((resolve) => {
      execFile("script", ["-qec", line, "/dev/null"], { timeout: 60_000, env: { ...process.env, FORCE_COLOR: "0" } }, (_, stdout) => resolve(stdout));
    });
    assert.match(output, /round 1\/1 \d+\.\ds: \d+ requests, 0 errors/);
    assert.match(output, /req\/s/);
  } finally {
    await server.close();
  }
});

test("--html writes the self-contained report of the run: its target, the latency curve and the throughput plot", async () => {
  const server = await countingServer();
  const file = join(directory, "report.html");
  try {
    const { code, stderr } = await rosetta(["--url", server.url, "-n", "20", "-c", "1", "-w", "0", "--html", file]);
    assert.is(code, 0, stderr);
    const html = readFileSync(file, "utf8");
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes(`<title>rosetta bench — ${server.url}</title>`), "titled after the target");
    assert.match(html, /<svg[^>]*class="latency-curves"[\s\S]*?<polyline[^>]*data-target="[^"]+"/);
    assert.match(html, /<svg[^>]*class="throughput"[\s\S]*?<polyline/);
    assert.not.match(html, /<script/i);
    assert.is(server.seen(), 20);
  } finally {
    await server.close();
  }
});

test.run();
