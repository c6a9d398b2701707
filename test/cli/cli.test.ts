import { test } from "uvu";
import { tcpClient, wsClient } from "../helpers/frame-clients.js";
import * as assert from "uvu/assert";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { rawRequest } from "../helpers/raw-http.js";
import { startUpstream } from "../helpers/upstream.js";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));

function shell(line: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("sh", ["-c", line], { timeout: 10_000 }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : ((error.code as number | null) ?? 1), stdout, stderr }));
    child.stdin?.end();
  });
}

async function hasCommand(name: string): Promise<boolean> {
  return (await shell(`command -v ${name}`)).code === 0;
}

function run(args: string[], untilOutput?: RegExp): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; ready: Promise<string>; kill(signal: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  run.lastChild = child;
  let stdout = "";
  let stderr = "";
  let markReady: (text: string) => void;
  const ready = new Promise<string>((resolve) => (markReady = resolve));
  const check = () => {
    if (untilOutput?.test(stdout + stderr)) markReady(stdout + stderr);
  };
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
    check();
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    check();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { done, ready, kill: (signal) => child.kill(signal) };
}
run.lastChild = undefined as ChildProcess | undefined;

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "rosetta-cli-")), "gateway.yaml");
  writeFileSync(file, text);
  return file;
}

test("rosetta validate: every problem with its path and location, exit 1", async () => {
  const file = writeConfig(`listeners:
  - { name: web, protocol: http, port: 8080 }
services:
  orders: { protocol: http, targets: ["http://127.0.0.1:7001"], timeout: 2 }
routes:
  - id: a
    upstream: { service: ordrs }
`);
  const { code, stderr } = await run(["validate", "-c", file]).done;
  assert.is(code, 1);
  assert.match(stderr, /2 problems in the config/);
  assert.match(stderr, /gateway\.yaml:7:\d+: routes\[0\]\.upstream\.service: unknown service "ordrs" \(did you mean "orders"\?\) \[ROSETTA_ERR_REFERENCE\]/);
  assert.match(stderr, /services\.orders\.timeout: expected a duration/);
});

test("rosetta validate: loads protos and checks gRPC methods too", async () => {
  const file = writeConfig(`listeners: [ { protocol: http, port: 8080 } ]
services:
  books: { protocol: grpc, targets: ["127.0.0.1:1"], protos: ["rosetta/demo/v1/bookstore.proto"] }
routes:
  - { id: a, match: { path: "/x" }, upstream: { service: books, method: "rosetta.demo.v1.Bookstore/GetShelv" } }
`);
  const { code, stderr } = await run(["validate", "-c", file]).done;
  assert.is(code, 1);
  assert.match(stderr, /routes\[0\]\.upstream\.method: service "books" has no method "rosetta\.demo\.v1\.Bookstore\/GetShelv" \(did you mean "rosetta\.demo\.v1\.Bookstore\/GetShelf"\?\)/);
});

test("rosetta validate: a valid file exits 0", async () => {
  const file = writeConfig("listeners: [ { protocol: http, port: 8080 } ]\n");
  const { code, stdout } = await run(["validate", "-c", file]).done;
  assert.is(code, 0);
  assert.match(stdout, /valid/);
});

test("rosetta start -c: proxies, and refuses an invalid config the same way validate does", async () => {
  const upstream = await startUpstream();
  const good = writeConfig(`listeners: [ { name: web, protocol: http, host: 127.0.0.1, port: 0 } ]
services: { up: { protocol: http, targets: ["${upstream.origin}"] } }
routes: [ { id: all, upstream: { service: up, path: "/echoed" } } ]
`);
  const gateway = run(["start", "-c", good], /"msg":"listening"/);
  try {
    const log = await gateway.ready;
    const port = Number(/"port":(\d+)/.exec(log)![1]);
    const response = await request(`http://127.0.0.1:${port}/anything`);
    assert.is(response.statusCode, 200);
    assert.is(JSON.parse(await response.body.text()).url, "/echoed");
  } finally {
    gateway.kill("SIGTERM");
    const { code } = await gateway.done;
    assert.is(code, 0, "SIGTERM is a clean exit");
    await upstream.close();
  }
  const bad = writeConfig("listeners: [ { protocol: http, port: 0, bogus: 1 } ]\n");
  const refused = await run(["start", "-c", bad]).done;
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /listeners\[0\]\.bogus: unknown key "bogus" \[ROSETTA_ERR_UNKNOWN_KEY\]|listeners\[0\]\.bogus: unknown key "bogus" \(known keys/);
});

test("rosetta start (demo): the printed curl examples work", async () => {
  const demo = run(["start", "--port", "0"], /Ctrl-C/);
  try {
    const output = await demo.ready;
    const url = /demo gateway on (http:\/\/[\d.:]+)/.exec(output)![1]!;
    const order = await request(`${url}/api/orders/1`);
    assert.is(order.statusCode, 200);
    assert.is(((await order.body.json()) as { id: string }).id, "1");
    const created = await request(`${url}/api/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"item":"Dune"}' });
    assert.is(created.statusCode, 201);
    await created.body.dump();
    const port = Number(new URL(url).port);
    const echoed = await rawRequest(port, "POST /api/echo/x HTTP/1.1\r\nhost: a\r\nconnection: x-secret\r\nx-secret: dropped\r\ncontent-length: 2\r\n\r\n{}");
    const seen = JSON.parse(echoed.body) as { headers: Record<string, string> };
    assert.is(seen.headers["x-secret"], undefined);
    assert.is(seen.headers["x-forwarded-for"], "127.0.0.1");
    const shelf = await request(`${url}/v1/shelves/1`);
    assert.is(shelf.statusCode, 200);
    assert.is(((await shelf.body.json()) as { theme: string }).theme, "Science fiction");
    const stream = await request(`${url}/v1/shelves/2:watch`);
    assert.match(await stream.body.text(), /^\{"result":\{"id":"4","title":"Ariel"/);
    const shelfXml = await request(`${url}/v1/shelves/1`, { headers: { accept: "application/xml" } });
    assert.match(await shelfXml.body.text(), "<Shelf><id>1</id><theme>Science fiction</theme>");
    const soapCall = await request(`${url}/soap/rosetta.demo.v1.Bookstore`, {
      method: "POST",
      headers: { "content-type": "text/xml", soapaction: '"urn:rosetta.demo.v1.Bookstore/GetShelf"' },
      body: '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetShelf><shelf>1</shelf></GetShelf></s:Body></s:Envelope>',
    });
    assert.match(await soapCall.body.text(), '<GetShelfResponse xmlns="urn:rosetta.demo.v1.Bookstore"><id>1</id>');
    const orderXml = await request(`${url}/api/orders/1`, { headers: { accept: "application/xml" } });
    assert.match(await orderXml.body.text(), "<root><id>1</id>");
    // The TCP inventory service, as REST, XML, and frames over WebSocket and TCP.
    const stock = await request(`${url}/v1/stock/dune`);
    assert.equal(await stock.body.json(), { sku: "dune", title: "Dune", quantity: 12 });
    const taken = await request(`${url}/v1/stock/dune`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"delta":-1}' });
    assert.is(((await taken.body.json()) as { quantity: number }).quantity, 11);
    const stockXml = await request(`${url}/v1/stock/earthsea`, { headers: { accept: "application/xml" } });
    assert.match(await stockXml.body.text(), "<root><sku>earthsea</sku><title>A Wizard of Earthsea</title><quantity>3</quantity></root>");
    // The printed WebSocket and TCP one-liners, run exactly as printed (with this Node).
    const oneLiners = output
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("node "));
    assert.is(oneLiners.length, 2);
    for (const line of oneLiners) {
      const printed = await shell(line);
      assert.is(printed.code, 0, printed.stderr);
      assert.match(printed.stdout, /"status":200/);
    }
    const ncLine = output
      .split("\n")
      .map((line) => line.trim())
      .find((line) => line.includes("| nc "));
    assert.ok(ncLine, "the nc example is printed");
    if (await hasCommand("nc")) assert.match((await shell(ncLine!.replace(/\s+#.*$/, ""))).stdout, /"quantity"/);
    const tcpPort = Number(/TCP frames on (\d+)/.exec(output)![1]);
    const ws = await wsClient(`${url.replace("http", "ws")}/ws`);
    const tcp = await tcpClient(tcpPort);
    try {
      const [overWs] = await ws.call({ id: "a", method: "GET", path: "/v1/stock/dune" });
      assert.equal(overWs!.body, { sku: "dune", title: "Dune", quantity: 11 });
      const [overTcp] = await tcp.call({ id: "b", method: "GET", path: "/v1/shelves/1" });
      assert.is(overTcp!.body.theme, "Science fiction");
    } finally {
      await ws.close();
      tcp.close();
    }
  } finally {
    demo.kill("SIGINT");
    assert.is((await demo.done).code, 0);
  }
});

const usageErrors: [string, string[], RegExp][] = [
  ["an unknown command", ["strat"], /^rosetta: unknown command "strat"; run `rosetta help` for usage\n$/],
  ["no command at all", [], /^rosetta: no command given; run `rosetta help` for usage\n$/],
  ["an unknown flag", ["--version"], /^rosetta: unknown option "--version" \(did you mean `rosetta version`\?\); run `rosetta help` for usage\n$/],
  ["an unknown flag after a command", ["start", "--bogus"], /^rosetta: unknown option "--bogus"; run `rosetta help` for usage\n$/],
];
for (const [description, args, message] of usageErrors) {
  test(`rosetta with ${description} exits 2 with a one-line hint`, async () => {
    const { code, stderr } = await run(args).done;
    assert.is(code, 2);
    assert.match(stderr, message);
  });
}

test("rosetta start: a port in use is reported as such, not as a config problem", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const { port } = blocker.address() as AddressInfo;
  try {
    const file = writeConfig(`listeners: [ { name: web, protocol: http, host: 127.0.0.1, port: ${port} } ]\n`);
    const { code, stderr } = await run(["start", "-c", file, "--log-level", "silent"]).done;
    assert.is(code, 1);
    assert.not.match(stderr, /problem/);
    assert.match(stderr, new RegExp(`cannot start:\\n  listener "web" cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use by another process \\(EADDRINUSE\\)`));
  } finally {
    blocker.close();
  }
});

test("rosetta validate: a proto that cannot be loaded names the file, the line and the include roots", async () => {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-protos-"));
  writeFileSync(join(directory, "broken.proto"), 'syntax = "proto3";\npackage x;\nmessage A {\n  int32 a = 1\n}\n');
  writeFileSync(join(directory, "importer.proto"), 'syntax = "proto3";\nimport "missing/thing.proto";\n');
  const file = join(directory, "gateway.yaml");
  writeFileSync(
    file,
    `listeners: [ { protocol: http, port: 0 } ]
protos: { include: [ "${directory}" ] }
services:
  a: { protocol: grpc, targets: ["127.0.0.1:1"], protos: ["broken.proto"] }
  b: { protocol: grpc, targets: ["127.0.0.1:1"], protos: ["importer.proto"] }
`,
  );
  const { code, stderr } = await run(["validate", "-c", file]).done;
  assert.is(code, 1);
  assert.match(stderr, /services\.a\.protos: cannot load protos: \S*broken\.proto:5: illegal token '}', ';' expected/);
  assert.match(stderr, new RegExp(`services\\.b\\.protos: cannot load protos: "missing/thing\\.proto" \\(imported by "\\S*importer\\.proto"\\) was not found; searched include roots "${directory}"`));
});

test("rosetta validate: a .json config gets JSON's wording and position", async () => {
  const directory = mkdtempSync(join(tmpdir(), "rosetta-json-"));
  const truncated = join(directory, "gateway.json");
  writeFileSync(truncated, '{"listeners": [\n');
  const first = await run(["validate", "-c", truncated]).done;
  assert.is(first.code, 1);
  assert.match(first.stderr, /gateway\.json:2:1: invalid JSON: the input ends where a value is expected \[ROSETTA_ERR_CONFIG_PARSE\]/);
  writeFileSync(truncated, '{"listeners": [],}');
  const second = await run(["validate", "-c", truncated]).done;
  assert.match(second.stderr, /gateway\.json:1:18: invalid JSON: expected a property name but found '}'/);
});

test.run();
