import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, createGateway, type ConfigProblem } from "../../src/index.js";
import { makePki, type TestPki } from "../helpers/test-certificates.js";

let pki: TestPki;
test.before(() => {
  pki = makePki();
  pki.issue("other");
  // A certificate with the wrong key.
  copyFileSync(join(pki.dir, "other-key.pem"), join(pki.dir, "mismatched-key.pem"));
});
test.after(() => pki?.remove());

const listener = (tls: unknown, protocol = "http", extra: Record<string, unknown> = {}) => ({ name: "l", protocol, host: "127.0.0.1", port: 0, tls, ...extra });

/** The problems createGateway reports for `config` (validation and creation), as "path: message [code]". */
async function problems(config: Record<string, unknown>): Promise<string[]> {
  try {
    const gateway = await createGateway({ services: {}, ...config }, { baseDirectory: pki.dir });
    await gateway.stop(0);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem: ConfigProblem) => `${problem.path}: ${problem.message} [${problem.code}]`);
  }
}

const cases: Array<[string, Record<string, unknown>, RegExp | undefined]> = [
  ["a listener with cert and key loads", { listeners: [listener({ cert: "server.pem", key: "server-key.pem" })] }, undefined],
  ["cert without key", { listeners: [listener({ cert: "server.pem" })] }, /^listeners\[0\]\.tls\.key: cert needs key .*\[ROSETTA_ERR_REQUIRED\]$/],
  ["no cert", { listeners: [listener({ key: "server-key.pem" })] }, /^listeners\[0\]\.tls\.cert: .*\[ROSETTA_ERR_REQUIRED\]$/],
  [
    "a missing file names the config path and the file",
    { listeners: [listener({ cert: "nope.pem", key: "server-key.pem" })] },
    /^listeners\[0\]\.tls\.cert: cannot read .*nope\.pem \(ENOENT\) \[ROSETTA_ERR_TLS\]$/,
  ],
  [
    "a key that is not the certificate's",
    { listeners: [listener({ cert: "server.pem", key: "mismatched-key.pem" })] },
    /^listeners\[0\]\.tls: the certificate and key do not load: .*\[ROSETTA_ERR_TLS\]$/,
  ],
  [
    "clientCertificate: require needs ca",
    { listeners: [listener({ cert: "server.pem", key: "server-key.pem", clientCertificate: "require" })] },
    /^listeners\[0\]\.tls\.ca: .*\[ROSETTA_ERR_REQUIRED\]$/,
  ],
  [
    "an unknown clientCertificate mode",
    { listeners: [listener({ cert: "server.pem", key: "server-key.pem", clientCertificate: "optional" })] },
    /^listeners\[0\]\.tls\.clientCertificate: .*\[ROSETTA_ERR_VALUE\]$/,
  ],
  [
    "a missing ca file on a tcp listener",
    { listeners: [listener({ cert: "server.pem", key: "server-key.pem", ca: "missing-ca.pem", clientCertificate: "request" }, "tcp")] },
    /^listeners\[0\]\.tls\.ca: cannot read .*missing-ca\.pem/,
  ],
  [
    "client certificates on ftp",
    { listeners: [listener({ cert: "server.pem", key: "server-key.pem", ca: "ca.pem", clientCertificate: "require" }, "ftp", { users: { a: "b" } })] },
    /^listeners\[0\]\.tls\.clientCertificate: FTPS callers log in/,
  ],
  ["udp has no tls", { listeners: [listener({ cert: "server.pem", key: "server-key.pem" }, "udp")] }, /^listeners\[0\]\.tls: .*\[ROSETTA_ERR_UNKNOWN_KEY\]$/],
];

const web = { name: "web", protocol: "http", host: "127.0.0.1", port: 0 };
const serviceCases: Array<[string, Record<string, unknown>, RegExp | undefined]> = [
  ["an https:// target without tls is fine (system CAs)", { protocol: "http", targets: ["https://example.com"] }, undefined],
  [
    "tls with an http:// target",
    { protocol: "http", targets: ["https://a.example", "http://b.example"], tls: {} },
    /^services\.s\.targets\[1\]: tls is set, but "http:\/\/b\.example" is not an https:\/\/ target/,
  ],
  ["key without cert", { protocol: "http", targets: ["https://a.example"], tls: { key: "alice-key.pem" } }, /^services\.s\.tls\.cert: key needs cert/],
  [
    "a missing ca on a grpc service",
    { protocol: "grpc", targets: ["127.0.0.1:1"], protos: ["rosetta/demo/v1/bookstore.proto"], tls: { ca: "none.pem" } },
    /^services\.s\.tls\.ca: cannot read .*none\.pem \(ENOENT\) \[ROSETTA_ERR_TLS\]$/,
  ],
  [
    "a client key that is not the certificate's on a tcp service",
    { protocol: "tcp", targets: ["127.0.0.1:1"], tls: { cert: "alice.pem", key: "server-key.pem" } },
    /^services\.s\.tls: the CA, certificate and key do not load/,
  ],
  ["a serverName that is not a host name", { protocol: "tcp", targets: ["127.0.0.1:1"], tls: { serverName: "a b" } }, /^services\.s\.tls\.serverName: .*\[ROSETTA_ERR_VALUE\]$/],
];

for (const [name, config, expected] of cases) {
  test(`listener tls: ${name}`, async () => {
    const found = await problems(config);
    if (expected === undefined) assert.equal(found, []);
    else assert.ok(found.length === 1 && expected.test(found[0]!), found.join("\n"));
  });
}

for (const [name, service, expected] of serviceCases) {
  test(`service tls: ${name}`, async () => {
    const found = await problems({ listeners: [web], services: { s: service } });
    if (expected === undefined) assert.equal(found, []);
    else assert.ok(found.length === 1 && expected.test(found[0]!), found.join("\n"));
  });
}

test.run();
