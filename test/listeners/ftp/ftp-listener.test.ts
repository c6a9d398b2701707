import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { createConnection, type Socket } from "node:net";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";

/** The FTP listener driven by real FTP clients (lftp and curl from Debian) against a real grpc-js upstream. */
let grpc: TestGrpcServer;
let gateway: TestGateway;
const work = mkdtempSync(join(tmpdir(), "rosetta-ftp-"));

test.before(async () => {
  grpc = await startLibraryServer();
  gateway = await startGateway({
    listeners: [{ name: "ftp", protocol: "ftp", host: "127.0.0.1", port: 0, users: { alice: "s3cret" }, passivePortMin: 50_200, passivePortMax: 50_260 }],
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"] } },
  });
});

test.after(async () => {
  await gateway.stop();
  await grpc.close();
});

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(command, args, { cwd: work, timeout: 20_000 }, (error, stdout, stderr) =>
    resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })));
}

const lftp = (script: string, user = "alice,s3cret") =>
  run("lftp", ["-u", user, "-p", String(gateway.port), "-e", `set net:max-retries 1; set net:timeout 5; set ftp:passive-mode on; ${script}; quit`, "127.0.0.1"]);
const url = (path: string, user = "alice:s3cret") => `ftp://${user}@127.0.0.1:${gateway.port}${path}`;

test("RETR of x.xml is GET x answered in XML; of x.json in JSON (curl)", async () => {
  const xml = await run("curl", ["-sS", url("/v1/shelves/1/books/2.xml")]);
  assert.is(xml.code, 0, xml.stderr);
  assert.match(xml.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?><Book><name>shelves\/1\/books\/2<\/name>/);
  const json = await run("curl", ["-sS", url("/v1/shelves/1/books/2.json")]);
  assert.is((JSON.parse(json.stdout) as { name: string }).name, "shelves/1/books/2");
});

test("STOR new.json is a POST to the directory; the reply is kept for the session to LIST and RETR (lftp)", async () => {
  writeFileSync(join(work, "upload.json"), JSON.stringify({ author: "via ftp", pageCount: "77" }));
  const session = await lftp("cd /v1/shelves/3/books; put upload.json -o new.json; cls -l; cat new.json");
  assert.is(session.code, 0, session.stderr);
  const call = grpc.calls.at(-1)!;
  assert.is(call.method, "CreateBook");
  assert.is(call.request.parent, "shelves/3");
  assert.is((call.request.book as { author: string }).author, "via ftp");
  assert.match(session.stdout, /new\.json/);
  assert.match(session.stdout, '"name":"shelves/3/books/new"');
  assert.match(session.stdout, '"author":"via ftp"');
});

test("DELE is DELETE; failures are FTP errors with the status and message, and no server path", async () => {
  const deleted = await lftp("rm /v1/shelves/1/books/5.json");
  assert.is(deleted.code, 0, deleted.stderr);
  assert.is(grpc.calls.at(-1)!.method, "DeleteBook");
  const failed = await run("curl", ["-sS", url("/v1/fail/5.json")]);
  assert.is(failed.code, 19);
  const traversal = await lftp("cat ../../../../etc/passwd.json; cat /v1/fail/5.json");
  assert.match(traversal.stderr, "551 GET /etc/passwd answered 404");
  assert.match(traversal.stderr, "answered 404: failed with 5");
  assert.not.match(traversal.stderr + traversal.stdout, process.cwd());
  const noExtension = await lftp("cat /v1/shelves/1");
  assert.match(noExtension.stderr, "needs an extension");
});

test("only configured users log in; active mode (PORT) is refused", async () => {
  const wrong = await run("curl", ["-sS", url("/v1/shelves/1.json", "alice:nope")]);
  assert.is(wrong.code, 67);
  const anonymous = await run("curl", ["-sS", `ftp://127.0.0.1:${gateway.port}/v1/shelves/1.json`]);
  assert.is(anonymous.code, 67);
  const active = await lftp("quote PORT 127,0,0,1,200,10");
  assert.match(active.stderr + active.stdout, "502");
});

/** A raw control connection, to send what no polite client would. */
async function control(): Promise<{ socket: Socket; send(line: string): Promise<string> }> {
  const socket = createConnection({ host: "127.0.0.1", port: gateway.port });
  let buffer = "";
  socket.on("data", (chunk) => (buffer += chunk.toString()));
  const next = async () => {
    while (!/^\d{3} .*\r\n/m.test(buffer)) await once(socket, "data");
    const match = /^(\d{3} .*)\r\n/m.exec(buffer)!;
    buffer = buffer.slice(match.index + match[0].length);
    return match[1]!;
  };
  await next();
  return { socket, send: async (line) => { socket.write(`${line}\r\n`); return next(); } };
}

test("PASV hoarding: each PASV closes the previous data listener, so a session holds one port", async () => {
  const session = await control();
  await session.send("USER alice");
  await session.send("PASS s3cret");
  const ports: number[] = [];
  for (let index = 0; index < 5; index++) {
    const reply = await session.send("PASV");
    const [, high, low] = /,(\d+),(\d+)\)/.exec(reply)!;
    ports.push(Number(high) * 256 + Number(low));
  }
  const reachable = await Promise.all(ports.map((port) => new Promise<boolean>((resolve) => {
    const probe = createConnection({ host: "127.0.0.1", port });
    probe.once("connect", () => (probe.destroy(), resolve(true)));
    probe.once("error", () => resolve(false));
  })));
  assert.equal(reachable, [false, false, false, false, true]);
  session.socket.destroy();
});

test("the reply file is the bytes the gateway answered", async () => {
  writeFileSync(join(work, "book.xml"), "<Book><author>xml upload</author></Book>");
  const session = await lftp("cd /v1/shelves/4/books; put book.xml -o new.xml; get new.xml -o reply.xml");
  assert.is(session.code, 0, session.stderr);
  assert.match(readFileSync(join(work, "reply.xml"), "utf8"), "<Book><name>shelves/4/books/new</name><author>xml upload</author>");
});

test.run();
