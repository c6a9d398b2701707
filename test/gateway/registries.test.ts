import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Codec, CodecFactory } from "../../src/codecs/codec.js";
import { ConfigError, ConfigErrorCode, type ConfigProblem } from "../../src/options/error-codes.js";
import { validateGatewayConfig } from "../../src/gateway/gateway-config.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { builtinPlugins, type Plugins } from "../../src/gateway/plugins.js";
import type { FrameFormatFactory } from "../../src/frames/frame-format.js";
import { jsonFrameFormat } from "../../src/frames/json-frame-format.js";
import { silentLogger } from "../../src/observability/logger.js";
import { object } from "../../src/options/schema.js";

/** A codec Rosetta does not ship: plain text, one JSON string per body. */
const textCodec: CodecFactory<Record<string, never>> = {
  name: "text",
  optionsSchema: object({}, "text codec options"),
  create: (): Codec => ({
    name: "text",
    mediaTypes: ["text/plain"],
    encode: (value) => new TextEncoder().encode(String(value)),
    decode: (bytes) => new TextDecoder().decode(bytes),
  }),
};

/** A frame format Rosetta does not ship: JSON frames under another name. */
const jsonTooFormat: FrameFormatFactory = { name: "json-too", create: (codecs, limits) => jsonFrameFormat.create(codecs, limits) };

function withCustomPlugins(): Plugins {
  const plugins = builtinPlugins();
  plugins.codecs.register(textCodec.name, textCodec);
  plugins.frameFormats.register(jsonTooFormat.name, jsonTooFormat);
  return plugins;
}

/** Every option that names a codec or a frame format, set to the given names. */
function config(codec: string, frameFormat: string) {
  return {
    listeners: [
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0, codec: frameFormat },
      { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0, codec: frameFormat, framing: "length-prefixed" },
      { name: "udp", protocol: "udp", host: "127.0.0.1", port: 0, codec: frameFormat },
      { name: "ftp", protocol: "ftp", host: "127.0.0.1", port: 0, anonymous: true, extensions: { txt: codec, json: "json" } },
    ],
    services: {
      web: { protocol: "http", targets: ["http://127.0.0.1:7001"], codec },
      frames: { protocol: "tcp", targets: ["127.0.0.1:7300"], codec: frameFormat, framing: "length-prefixed" },
    },
    routes: [{ id: "all", upstream: { service: "web" } }],
  };
}

function problemsOf(input: unknown, plugins: Plugins): ConfigProblem[] {
  try {
    validateGatewayConfig(input, plugins);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const codecPaths = ["listeners[3].extensions.txt", "services.web.codec"];
const frameFormatPaths = ["listeners[0].codec", "listeners[1].codec", "listeners[2].codec", "services.frames.codec"];

test("a codec and a frame format registered in one line each are valid in every option that names one", () => {
  assert.equal(problemsOf(config("text", "json-too"), withCustomPlugins()), []);
});

test("the same names without the registrations are unknown, at every option", () => {
  const problems = problemsOf(config("text", "json-too"), builtinPlugins());
  assert.equal(problems.map((problem) => problem.path).sort(), [...codecPaths, ...frameFormatPaths].sort());
  assert.ok(problems.every((problem) => problem.code === ConfigErrorCode.VALUE));
  assert.match(problems.find((problem) => problem.path === "services.web.codec")!.message, /"text" is not allowed \(one of: json, xml, protobuf, soap\)/);
});

test("an unknown name gets a did-you-mean from the registry, custom names included", () => {
  const plugins = withCustomPlugins();
  const problems = problemsOf(config("txet", "json-to"), plugins);
  for (const path of codecPaths) assert.match(problems.find((problem) => problem.path === path)?.message ?? "", /"txet" is not allowed \(did you mean "text"\?\)/, path);
  for (const path of frameFormatPaths) assert.match(problems.find((problem) => problem.path === path)?.message ?? "", /"json-to" is not allowed \(did you mean "json-too"\?\)/, path);
  assert.match(problemsOf(config("jsn", "xlm"), plugins).find((problem) => problem.path === "listeners[0].codec")?.message ?? "", /did you mean "xml"/);
});

test("codecs and frame formats are separate kinds: soap only where an HTTP upstream names its codec", () => {
  const plugins = withCustomPlugins();
  const soap = config("soap", "soap");
  const withNamespace = { ...soap, services: { ...soap.services, web: { ...soap.services.web, soap: { namespace: "urn:shop" } } } };
  const problems = problemsOf(withNamespace, plugins);
  assert.equal(problems.map((problem) => problem.path).sort(), ["listeners[3].extensions.txt", ...frameFormatPaths].sort());
  assert.match(problemsOf(config("text", "text"), plugins).find((problem) => problem.path === "listeners[0].codec")?.message ?? "", /"text" is not allowed/);
});

test("a gateway starts with the custom frame format on its listeners", async () => {
  const plugins = withCustomPlugins();
  const { listeners } = config("text", "json-too");
  const gateway = await Gateway.start(validateGatewayConfig({ listeners: listeners.slice(0, 3) }, plugins), plugins, silentLogger);
  try {
    assert.is(gateway.listeners.length, 3);
  } finally {
    await gateway.stop(100);
  }
});

test.run();
