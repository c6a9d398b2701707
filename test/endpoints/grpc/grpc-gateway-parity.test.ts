import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createGateway } from "../../../src/gateway/create-gateway.js";
import type { Gateway } from "../../../src/gateway/gateway.js";
import { ConfigError } from "../../../src/options/error-codes.js";
import type { Logger } from "../../../src/observability/logger.js";
import { startRecordingServer, type RecordingServer } from "../../helpers/recording-grpc-server.js";

const protoRoot = resolve(fileURLToPath(new URL("../../../../test/protos", import.meta.url)));
const bin = fileURLToPath(new URL("../../../../bin/rosetta.js", import.meta.url));
const parityProto = "parity/v1/parity.proto";
const parity = "grpc.rosettatest.parity.v1.Parity";

interface Context {
  server: RecordingServer;
  gateway: Gateway;
  warnings: Array<{ message: string; fields: Record<string, unknown> | undefined }>;
  ruleDirectory: string;
}

const parityTests = suite<Context>("grpc-gateway parity: how bindings become routes and requests (own protos of grpc-gateway's shapes, real grpc-js upstream)");

function serviceConfig(target: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { protocol: "grpc", targets: [target], protos: [parityProto, "grpc/health/v1/health.proto"], ...extra };
}

function gatewayConfig(service: Record<string, unknown>, routes: unknown[] = []): Record<string, unknown> {
  return { listeners: [{ protocol: "http", port: 0 }], protos: { include: [protoRoot] }, services: { parity: service }, routes };
}

parityTests.before(async (context) => {
  context.server = await startRecordingServer([protoRoot], [parityProto, "grpc/health/v1/health.proto"], [parity, "grpc.health.v1.Health"], (method, request) =>
    method === "Health/Check" ? { status: "SERVING" } : request,
  );
  context.warnings = [];
  const logger: Logger = { info() {}, error() {}, warn: (message, fields) => context.warnings.push({ message, fields }) };
  context.gateway = await createGateway(gatewayConfig(serviceConfig(context.server.target)), { logger });
  context.ruleDirectory = mkdtempSync(join(tmpdir(), "rosetta-rules-"));
});

parityTests.after(async ({ gateway, server }) => {
  await gateway.stop(0);
  await server.close();
});

/** Calls through the gateway and returns the status, the body, and the one request the upstream received (if any). */
async function call(context: Context, method: string, path: string, body?: string, contentType = "application/json", gateway = context.gateway) {
  const before = context.server.calls.length;
  const response = await gateway.inject({ method, path, headers: body === undefined ? {} : { "content-type": contentType }, body });
  const received = context.server.calls.slice(before);
  assert.ok(received.length <= 1, `one upstream call at most, got ${received.length}`);
  return { status: response.status, text: response.text(), upstream: received[0] };
}

parityTests("a service in a package starting with grpc. is served: its annotated routes and POST /<package>.<Service>/<Method>", async (context) => {
  const annotated = await call(context, "POST", "/v1/submit", '{"id":"a1","displayName":"Lamp"}');
  assert.is(annotated.status, 200, annotated.text);
  assert.equal(annotated.upstream, { method: "Parity/Submit", request: { id: "a1", display_name: "Lamp" } });
  const unannotated = await call(context, "POST", `/${parity}/Plain`, '{"id":"p"}');
  assert.is(unannotated.status, 200, unannotated.text);
  assert.equal(unannotated.upstream, { method: "Parity/Plain", request: { id: "p" } });
});

parityTests("generated route ids stay unique when two proto services share a method name", ({ gateway }) => {
  const ids = gateway.routes().map((row) => row.id);
  assert.is(new Set(ids).size, ids.length, ids.join(", "));
  assert.ok(ids.includes("parity.Parity.Plain") && ids.includes("parity.ParityTwin.Plain"), ids.join(", "));
  assert.ok(ids.includes("parity.Submit"), ids.join(", "));
});

parityTests("infrastructure services (grpc.health) are skipped by default, served when exposeInfrastructureServices names them, and reachable by an explicit route", async (context) => {
  const skipped = await call(context, "POST", "/grpc.health.v1.Health/Check", "{}");
  assert.is(skipped.status, 404, skipped.text);
  assert.is(skipped.upstream, undefined);
  for (const exposed of [["grpc.health.v1.Health"], ["grpc.health."]]) {
    const gateway = await createGateway(gatewayConfig(serviceConfig(context.server.target, { exposeInfrastructureServices: exposed })));
    try {
      const served = await call(context, "POST", "/grpc.health.v1.Health/Check", '{"service":"x"}', "application/json", gateway);
      assert.is(served.status, 200, `${exposed}: ${served.text}`);
      assert.equal(JSON.parse(served.text), { status: "SERVING" });
      assert.equal(served.upstream, { method: "Health/Check", request: { service: "x" } });
    } finally {
      await gateway.stop(0);
    }
  }
  const routed = await createGateway(
    gatewayConfig(serviceConfig(context.server.target), [{ id: "health", match: { path: "/healthz", methods: ["GET"] }, upstream: { service: "parity", method: "grpc.health.v1.Health/Check" } }]),
  );
  try {
    const served = await call(context, "GET", "/healthz", undefined, "application/json", routed);
    assert.is(served.status, 200, served.text);
    assert.equal(served.upstream, { method: "Health/Check", request: {} });
  } finally {
    await routed.stop(0);
  }
});

parityTests("a verb holding colons (/v1/wrap/{tag}:wrap:it) routes, and a body that is a oneof member of a nested message (payload.text) fills it", async (context) => {
  const wrapped = await call(context, "POST", "/v1/wrap/t1:wrap:it", '"hello"');
  assert.is(wrapped.status, 200, wrapped.text);
  assert.equal(wrapped.upstream, { method: "Parity/Wrap", request: { tag: "t1", payload: { text: "hello" } } });
  assert.equal(JSON.parse(wrapped.text), { payload: { text: "hello" }, tag: "t1" });
  // Only the whole verb matches.
  assert.is((await call(context, "POST", "/v1/wrap/t1:it", '"x"')).status, 404);
  assert.is((await call(context, "POST", "/v1/wrap/t1:wrap", '"x"')).status, 404);
  // A verb after a literal with a colon: /v1/items/{item.id}:update.
  const update = await call(context, "POST", "/v1/items/i9:update", '{"displayName":"n"}');
  assert.is(update.status, 200, update.text);
  assert.equal(update.upstream?.request.item, { id: "i9", display_name: "n" });
});

parityTests("a binding that cannot be served is left out with a warning naming its method and path; the service's other bindings are served", async (context) => {
  const broken = context.warnings.filter((warning) => warning.fields?.method === `${parity}/Broken`);
  assert.is(broken.length, 1, JSON.stringify(context.warnings));
  assert.equal(broken[0]?.fields?.binding, "POST /v1/broken");
  assert.match(String(broken[0]?.fields?.why), /body "no_such_field" names no field/);
  assert.is((await call(context, "POST", "/v1/broken", "{}")).status, 404);
  assert.is((await call(context, "POST", "/v1/submit", "{}")).status, 200);
});

parityTests("an annotation whose custom kind is not an HTTP method is left out with a warning, not served under a method no request has", async (context) => {
  writeFileSync(
    join(context.ruleDirectory, "kinds.proto"),
    'syntax = "proto3";\npackage kinds.v1;\nimport "google/api/annotations.proto";\nmessage M { string id = 1; }\nservice Kinds {\n  rpc Odd(M) returns (M) { option (google.api.http) = { custom: { kind: "get /" path: "/v1/odd" } }; }\n  rpc Even(M) returns (M) { option (google.api.http) = { custom: { kind: "LIST" path: "/v1/even" } }; }\n}\n',
  );
  const warnings: unknown[] = [];
  const logger: Logger = { info() {}, error() {}, warn: (_message, fields) => warnings.push(fields) };
  const config = {
    listeners: [{ protocol: "http", port: 0 }],
    protos: { include: [context.ruleDirectory] },
    services: { kinds: { protocol: "grpc", targets: ["127.0.0.1:1"], protos: ["kinds.proto"] } },
  };
  const gateway = await createGateway(config, { logger });
  try {
    assert.equal(warnings, [{ service: "kinds", method: "kinds.v1.Kinds/Odd", binding: "GET / /v1/odd", why: 'custom kind "GET /" is not an HTTP method' }]);
    assert.equal(
      gateway.routes().map((route) => [route.id, [...(route.methods ?? [])]]),
      [["kinds.Even", ["LIST"]]],
    );
  } finally {
    await gateway.stop(0);
  }
});

parityTests("rosetta validate prints the unservable binding as a warning and still exits 0", async (context) => {
  const file = join(context.ruleDirectory, "validate.yaml");
  writeFileSync(
    file,
    `listeners: [ { protocol: http, port: 1 } ]
protos: { include: [ "${protoRoot}" ] }
services:
  parity: { protocol: grpc, targets: ["127.0.0.1:1"], protos: ["${parityProto}"] }
`,
  );
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, [bin, "validate", "-c", file], { timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : ((error.code as number | null) ?? 1), stdout, stderr }),
    );
  });
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /warning: a google\.api\.http binding cannot be served .*method: grpc\.rosettatest\.parity\.v1\.Parity\/Broken, binding: POST \/v1\/broken/);
  assert.match(result.stdout, /valid \(1 warning\)/);
});

parityTests("PATCH with a message body field and no update_mask: the mask is the body's keys as proto paths (nested, lists, maps and Struct keys end or extend paths), sorted", async (context) => {
  const body = JSON.stringify({ displayName: "Lamp", detail: { color: "red", size: 3 }, labels: ["a"], attrs: { k: "v" }, extra: { x: { y: 1 } } });
  const patched = await call(context, "PATCH", "/v1/items/i1", body);
  assert.is(patched.status, 200, patched.text);
  assert.equal(patched.upstream?.request.update_mask, { paths: ["attrs", "detail.color", "detail.size", "display_name", "extra.x.y", "labels"] });
  assert.equal(patched.upstream?.request.item, {
    id: "i1",
    display_name: "Lamp",
    detail: { color: "red", size: 3 },
    labels: ["a"],
    attrs: { k: "v" },
    extra: { fields: { x: { structValue: { fields: { y: { numberValue: 1 } } } } } },
  });
});

parityTests("PATCH field mask: a mask the caller sends is kept; body * gets none; patchFieldMask: false sends none", async (context) => {
  const sent = await call(context, "PATCH", "/v1/items/i1?updateMask=detail", '{"displayName":"Lamp","detail":{"color":"red"}}');
  assert.equal(sent.upstream?.request.update_mask, { paths: ["detail"] });
  const whole = await call(context, "PATCH", "/v1/whole-items/i1", '{"item":{"displayName":"Lamp"}}');
  assert.is(whole.status, 200, whole.text);
  assert.is(whole.upstream?.request.update_mask, undefined);
  const gateway = await createGateway(gatewayConfig(serviceConfig(context.server.target, { patchFieldMask: false })));
  try {
    const off = await call(context, "PATCH", "/v1/items/i1", '{"displayName":"Lamp"}', "application/json", gateway);
    assert.is(off.status, 200, off.text);
    assert.is(off.upstream?.request.update_mask, undefined);
  } finally {
    await gateway.stop(0);
  }
});

parityTests("application/x-www-form-urlencoded bodies fill the message as query parameters do (body * and a body field); JSON sent as a form is read as JSON", async (context) => {
  const whole = await call(context, "POST", "/v1/submit", "id=f1&display_name=Desk&labels=a&labels=b&attrs[k]=v&detail.size=4", "application/x-www-form-urlencoded");
  assert.is(whole.status, 200, whole.text);
  assert.equal(whole.upstream?.request, { id: "f1", display_name: "Desk", labels: ["a", "b"], attrs: { k: "v" }, detail: { size: 4 } });
  const field = await call(context, "POST", "/v1/submit/f2/detail", "color=blue&size=2", "application/x-www-form-urlencoded; charset=utf-8");
  assert.is(field.status, 200, field.text);
  assert.equal(field.upstream?.request, { id: "f2", detail: { color: "blue", size: 2 } });
  const json = await call(context, "POST", "/v1/submit", '{"id":"j"}', "application/x-www-form-urlencoded");
  assert.equal(json.upstream?.request, { id: "j" });
  const bad = await call(context, "POST", "/v1/submit", "detail.size=big", "application/x-www-form-urlencoded");
  assert.is(bad.status, 400, bad.text);
  assert.match(bad.text, /detail\.size/);
  const badKey = await call(context, "POST", "/v1/submit", "labels[x]=1", "application/x-www-form-urlencoded");
  assert.is(badKey.status, 400, badKey.text);
  assert.match(badKey.text, /form field \\"labels\[x\]\\": only a map field takes \[key\]/);
  assert.is(bad.upstream, undefined);
});

parityTests("comma-separated values of a path variable bound to a repeated field are split into it", async (context) => {
  const flags = await call(context, "GET", "/v1/flags/true,false,true/1,9007199254740993/a,b");
  assert.is(flags.status, 200, flags.text);
  assert.equal(flags.upstream?.request, { flags: [true, false, true], counts: ["1", "9007199254740993"], names: ["a", "b"] });
  const bad = await call(context, "GET", "/v1/flags/true,maybe/1/a");
  assert.is(bad.status, 400, bad.text);
  assert.is(bad.upstream, undefined);
});

parityTests("a query parameter naming a sibling of a path-bound nested field is merged; the bound field itself is not taken from the query", async (context) => {
  const merged = await call(context, "GET", "/v1/lookup/k1?ref.note=foo&extra=e");
  assert.is(merged.status, 200, merged.text);
  assert.equal(merged.upstream?.request, { ref: { key: "k1", note: "foo" }, extra: "e" });
  const bound = await call(context, "GET", "/v1/lookup/k1?ref.key=other&ref.note=n");
  assert.equal(bound.upstream?.request, { ref: { key: "k1", note: "n" } });
});

parityTests("rule files: a google.api.Service YAML binds an unannotated method and replaces a method's annotation (additional_bindings too)", async (context) => {
  writeFileSync(
    join(context.ruleDirectory, "http.yaml"),
    `type: google.api.Service
config_version: 3
http:
  rules:
    - selector: ${parity}.Unbound
      post: /v2/unbound/{id}
      body: "*"
      additional_bindings:
        - get: /v2/unbound/{id}
    - selector: ${parity}.Lookup
      get: /v2/lookup/{ref.key}
      response_body: ref
`,
  );
  const gateway = await createGateway(gatewayConfig(serviceConfig(context.server.target, { httpRuleFiles: ["http.yaml"] })), { baseDirectory: context.ruleDirectory });
  try {
    const posted = await call(context, "POST", "/v2/unbound/u1", '{"displayName":"x"}', "application/json", gateway);
    assert.is(posted.status, 200, posted.text);
    assert.equal(posted.upstream, { method: "Parity/Unbound", request: { id: "u1", display_name: "x" } });
    const got = await call(context, "GET", "/v2/unbound/u2?labels=a", undefined, "application/json", gateway);
    assert.equal(got.upstream, { method: "Parity/Unbound", request: { id: "u2", labels: ["a"] } });
    // A method a rule names is no longer unannotated: no POST /<package>.<Service>/<Method>.
    assert.is((await call(context, "POST", `/${parity}/Unbound`, "{}", "application/json", gateway)).status, 404);
    const lookup = await call(context, "GET", "/v2/lookup/k?ref.note=n", undefined, "application/json", gateway);
    assert.is(lookup.status, 200, lookup.text);
    assert.equal(JSON.parse(lookup.text), { key: "k", note: "n" });
    // The annotation's own binding is replaced.
    assert.is((await call(context, "GET", "/v1/lookup/k", undefined, "application/json", gateway)).status, 404);
    // Methods the file does not name keep their annotations.
    assert.is((await call(context, "POST", "/v1/submit", "{}", "application/json", gateway)).status, 200);
  } finally {
    await gateway.stop(0);
  }
});

const badRules: Array<{ description: string; text: string; code: string; message: RegExp; line: number }> = [
  { description: "YAML that does not parse", text: "http:\n  rules: [ {\n", code: "ROSETTA_ERR_CONFIG_PARSE", message: /./, line: 3 },
  {
    description: "a selector naming no method, with a did-you-mean",
    text: `http:\n  rules:\n    - selector: ${parity}.Lokup\n      get: /v3/x\n`,
    code: "ROSETTA_ERR_REFERENCE",
    message: /names no method .*did you mean "grpc\.rosettatest\.parity\.v1\.Parity\.Lookup"/,
    line: 3,
  },
  {
    description: "a template outside the grammar",
    text: `http:\n  rules:\n    - selector: ${parity}.Plain\n      get: "/v3/{id"\n`,
    code: "ROSETTA_ERR_TEMPLATE",
    message: /unclosed/,
    line: 3,
  },
  { description: "two patterns in one rule", text: `http:\n  rules:\n    - selector: ${parity}.Plain\n      get: /a\n      post: /b\n`, code: "ROSETTA_ERR_VALUE", message: /exactly one of/, line: 3 },
  {
    description: "a body naming no field",
    text: `http:\n  rules:\n    - selector: ${parity}.Plain\n      post: /v3/plain\n      body: nope\n`,
    code: "ROSETTA_ERR_REFERENCE",
    message: /body "nope" names no field/,
    line: 3,
  },
  {
    description: "a custom kind that is not an HTTP method",
    text: `http:\n  rules:\n    - selector: ${parity}.Plain\n      custom: { kind: "GET /", path: /v3/plain }\n`,
    code: "ROSETTA_ERR_VALUE",
    message: /"custom" kind "GET \/" is not an HTTP method/,
    line: 3,
  },
  { description: "no http.rules", text: "type: google.api.Service\n", code: "ROSETTA_ERR_VALUE", message: /http: rules/, line: 1 },
];

for (const row of badRules) {
  parityTests(`a rule file with ${row.description} is a config error at services.<name>.httpRuleFiles[i] with file:line:col`, async (context) => {
    const file = join(context.ruleDirectory, "bad.yaml");
    writeFileSync(file, row.text);
    const error = await createGateway(gatewayConfig(serviceConfig(context.server.target, { httpRuleFiles: ["bad.yaml"] })), { baseDirectory: context.ruleDirectory }).then(
      async (gateway) => {
        await gateway.stop(0);
        return undefined;
      },
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof ConfigError, String(error));
    const problem = error.problems[0];
    assert.is(problem?.path, "services.parity.httpRuleFiles[0]");
    assert.is(problem?.code, row.code, problem?.message);
    assert.match(problem?.message ?? "", row.message);
    assert.match(problem?.location ?? "", new RegExp(`bad\\.yaml:${row.line}:\\d+$`));
  });
}

parityTests.run();
