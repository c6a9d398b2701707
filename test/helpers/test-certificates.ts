import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throw-away PKI made with the openssl CLI at test time: nothing secret is checked in. */
export interface TestPki {
  /** The temp folder holding every PEM file (a gateway's baseDirectory in the tests). */
  readonly dir: string;
  /** Issues `<name>.pem` and `<name>-key.pem`, signed by `ca` (default "ca"), valid for localhost and 127.0.0.1. */
  issue(name: string, options?: { readonly cn?: string; readonly ca?: string; readonly client?: boolean; readonly san?: string }): void;
  /** Makes a self-signed CA `<name>.pem` / `<name>-key.pem`. */
  authority(name: string, cn?: string): void;
  read(file: string): Buffer;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A PKI with a CA "ca", a server certificate "server" (CN=localhost) and a client certificate "alice". */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "rosetta-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const pki: TestPki = {
    dir,
    authority(name, cn = `Rosetta Test ${name}`) {
      openssl(dir, [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        `${name}-key.pem`,
        "-out",
        `${name}.pem`,
        "-subj",
        `/CN=${cn}`,
        "-days",
        "2",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ]);
    },
    issue(name, options = {}) {
      const ca = options.ca ?? "ca";
      const cn = options.cn ?? "localhost";
      writeFileSync(
        join(dir, `${name}.ext`),
        `basicConstraints=CA:FALSE\nsubjectAltName=${options.san ?? "DNS:localhost,IP:127.0.0.1"}\nextendedKeyUsage=${options.client === true ? "clientAuth" : "serverAuth"}\n`,
      );
      openssl(dir, ["req", ...ec, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/O=Rosetta Tests/CN=${cn}`]);
      openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}-key.pem`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`]);
    },
    read: (file) => readFileSync(join(dir, file)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  pki.authority("ca");
  pki.issue("server");
  pki.issue("alice", { cn: "alice", client: true, san: "URI:spiffe://rosetta.test/alice,email:alice@rosetta.test" });
  return pki;
}
