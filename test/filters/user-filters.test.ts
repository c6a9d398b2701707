import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createGateway } from "../../src/index.js";
import { ConfigError } from "../../src/options/error-codes.js";

const bin = fileURLToPath(new URL("../../../bin/rosetta.js", import.meta.url));
const rosettaIndex = pathToFileURL(fileURLToPath(new URL("../../src/index.js", import.meta.url))).href;

const users = suite<{ folder: string; upstream: Server; origin: string }>("user filters (use: ./file.js)");

/** A user filter as a user writes it, importing the option schema builders from Rosetta. */
const greetModule = `import { options } from ${JSON.stringify(rosettaIndex)};
const { object, required, string } = options;
export default {
  name: "greet",
  description: "adds a greeting header to the request and the response",
  optionsSchema: object({ greeting: required(string(), "the greeting") }, "greet options"),
  create({ greeting }, context) {
    const route = context.route?.id ?? "global";
    return (next) => async (request) => {
      request.headers["x-greeting"] = greeting;
      const response = await next(request);
      response.headers["x-greeted"] = greeting + "@" + route;
      return response;
    };
  },
};
`;

users.before(async (context) => {
  context.folder = mkdtempSync(join(tmpdir(), "rosetta-use-"));
  writeFileSync(join(context.folder, "greet.mjs"), greetModule);
  writeFileSync(join(context.folder, "not-a-filter.mjs"), "export const answer = 42;\n");
  writeFileSync(join(context.folder, "broken.mjs"), "export default {;\n");
  context.upstream = createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ greeting: request.headers["x-greeting"] ?? null }));
  });
  context.upstream.listen(0, "127.0.0.1");
  await once(context.upstream, "listening");
  context.origin = `http://127.0.0.1:${(context.upstream.address() as { port: number }).port}`;
});

users.after(({ folder, upstream }) => {
  upstream.close();
  rmSync(folder, { recursive: true, force: true });
});

const configYaml = (origin: string, entry: string) => `listeners: [ { name: web, protocol: http, host: 127.0.0.1, port: 0 } ]
services: { up: { protocol: http, targets: ["${origin}"] } }
routes:
  - id: greeted
    filters:
      - ${entry}
    upstream: { service: up }
`;

users("createGateway loads a user filter relative to baseDirectory; it runs like a built-in", async ({ folder, origin }) => {
  const gateway = await createGateway(
    {
      listeners: [{ protocol: "http", port: 0 }],
      services: { up: { protocol: "http", targets: [origin] } },
      routes: [{ id: "greeted", filters: [{ use: "./greet.mjs", options: { greeting: "hello" } }], upstream: { service: "up" } }],
    },
    { baseDirectory: folder },
  );
  try {
    const response = await gateway.inject({ path: "/x" });
    assert.is(response.status, 200);
    assert.is(JSON.parse(response.body.toString()).greeting, "hello");
    assert.is(response.headers["x-greeted"], "hello@greeted");
  } finally {
    await gateway.stop(0);
  }
});

users("config errors name the entry: bad options by the module's schema, a missing file, a module without a factory, one that does not parse", async ({ folder, origin }) => {
  try {
    await createGateway(
      {
        listeners: [{ protocol: "http", port: 0 }],
        services: { up: { protocol: "http", targets: [origin] } },
        filters: [{ use: "./missing.mjs" }],
        routes: [
          { id: "a", filters: [{ use: "./greet.mjs", options: { greeting: 5 } }], upstream: { service: "up" } },
          { id: "b", filters: [{ use: "./not-a-filter.mjs" }, { use: "./broken.mjs" }, { use: "./greet.mjs", option: {} }], upstream: { service: "up" } },
        ],
      },
      { baseDirectory: folder },
    );
    assert.unreachable("created");
  } catch (error) {
    assert.instance(error, ConfigError);
    const problems = (error as ConfigError).problems;
    const at = (path: string) => problems.find((problem) => problem.path === path)?.message ?? `nothing at ${path}: ${JSON.stringify(problems)}`;
    assert.match(at("routes[0].filters[0].options.greeting"), /string/);
    assert.match(at("filters[0].use"), /missing\.mjs/);
    assert.match(at("routes[1].filters[0].use"), /not-a-filter\.mjs exports no filter factory/);
    assert.match(at("routes[1].filters[1].use"), /cannot load .*broken\.mjs/);
    assert.match(at("routes[1].filters[2].option"), /unknown key/);
  }
});

function run(args: string[], until?: RegExp) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let markReady: (text: string) => void;
  const ready = new Promise<string>((resolve) => (markReady = resolve));
  const collect = (chunk: Buffer) => {
    output += chunk;
    if (until?.test(output)) markReady(output);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on("close", (code) => resolve({ code, output })));
  // Bounded: a process that hangs fails the test instead of the suite.
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  void done.then(() => clearTimeout(timer));
  return { ready: Promise.race([ready, done.then(({ output: text }) => text)]), done, kill: () => child.kill("SIGTERM") };
}

users("rosetta validate loads the module: valid, or bad options with the file location", async ({ folder, origin }) => {
  const good = join(folder, "good.yaml");
  writeFileSync(good, configYaml(origin, "{ use: ./greet.mjs, options: { greeting: hi } }"));
  const valid = await run(["validate", "-c", good]).done;
  assert.is(valid.code, 0, valid.output);
  assert.match(valid.output, /valid/);
  const bad = join(folder, "bad.yaml");
  writeFileSync(bad, configYaml(origin, "{ use: ./greet.mjs, options: { greting: hi } }"));
  const invalid = await run(["validate", "-c", bad]).done;
  assert.is(invalid.code, 1, invalid.output);
  assert.match(invalid.output, /routes\[0\]\.filters\[0\]\.options/);
  assert.match(invalid.output, /bad\.yaml:6:/);
});

users("rosetta start runs the user filter on a real socket", async ({ folder, origin }) => {
  const file = join(folder, "start.yaml");
  writeFileSync(file, configYaml(origin, "{ use: ./greet.mjs, options: { greeting: howdy } }"));
  const gateway = run(["start", "-c", file], /"msg":"listening"/);
  try {
    const log = await gateway.ready;
    const port = Number(/"port":(\d+)/.exec(log)?.[1]);
    assert.ok(port > 0, log);
    const response = await fetch(`http://127.0.0.1:${port}/x`);
    assert.is(response.headers.get("x-greeted"), "howdy@greeted");
    assert.is(((await response.json()) as { greeting: string }).greeting, "howdy");
  } finally {
    gateway.kill();
    await gateway.done;
  }
});

users.run();
