import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConnection } from "node:net";
import { Readable, Writable } from "node:stream";
import { Client, FTPError } from "basic-ftp";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { rawControl, rawLogin } from "./ftp-raw.js";

/** The FTP listener driven by a real FTP client (basic-ftp, from npm) against a real grpc-js upstream. */
let grpc: TestGrpcServer;
let gateway: TestGateway;

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

/** Runs `script` on a logged-in basic-ftp session, closing it after. */
async function session<T>(script: (client: Client) => Promise<T>, user = "alice", password = "s3cret"): Promise<T> {
  const client = new Client(10_000);
  try {
    await client.access({ host: "127.0.0.1", port: gateway.port, user, password });
    return await script(client);
  } finally {
    client.close();
  }
}

/** RETR into memory. */
async function download(client: Client, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  await client.downloadTo(
    new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        chunks.push(chunk);
        callback();
      },
    }),
    path,
  );
  return Buffer.concat(chunks).toString("utf8");
}

/** The FTP error a promise rejects with (fails the test if it resolves). */
async function ftpError(promise: Promise<unknown>): Promise<FTPError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.instance(error, FTPError, `expected an FTP error reply, got ${String(error)}`);
  return error as FTPError;
}

test("RETR of x.xml is GET x answered in XML; of x.json in JSON", async () => {
  const [xml, json] = await session(async (client) => [await download(client, "/v1/shelves/1/books/2.xml"), await download(client, "/v1/shelves/1/books/2.json")]);
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?><Book><name>shelves\/1\/books\/2<\/name>/);
  assert.is((JSON.parse(json) as { name: string }).name, "shelves/1/books/2");
});

test("STOR new.json is a POST to the directory; the reply is kept for the session to LIST and RETR", async () => {
  const { names, reply } = await session(async (client) => {
    await client.cd("/v1/shelves/3/books");
    await client.uploadFrom(Readable.from([Buffer.from(JSON.stringify({ author: "via ftp", pageCount: "77" }))]), "new.json");
    return { names: (await client.list()).map((entry) => entry.name), reply: await download(client, "new.json") };
  });
  const call = grpc.calls.at(-1)!;
  assert.is(call.method, "CreateBook");
  assert.is(call.request.parent, "shelves/3");
  assert.is((call.request.book as { author: string }).author, "via ftp");
  assert.equal(names, ["new.json"]);
  assert.match(reply, '"name":"shelves/3/books/new"');
  assert.match(reply, '"author":"via ftp"');
});

test("DELE is DELETE; failures are FTP errors with the status and message, and no server path", async () => {
  await session(async (client) => {
    await client.remove("/v1/shelves/1/books/5.json");
    assert.is(grpc.calls.at(-1)!.method, "DeleteBook");
    const failed = await ftpError(download(client, "/v1/fail/5.json"));
    assert.is(failed.code, 551);
    assert.match(failed.message, "answered 404: failed with 5");
    const traversal = await ftpError(download(client, "../../../../etc/passwd.json"));
    assert.match(traversal.message, "551 GET /etc/passwd answered 404");
    assert.not.match(failed.message + traversal.message, process.cwd());
    const noExtension = await ftpError(download(client, "/v1/shelves/1"));
    assert.match(noExtension.message, "needs an extension");
  });
});

test("only configured users log in; active mode (PORT) is refused", async () => {
  assert.is((await ftpError(session(async () => {}, "alice", "nope"))).code, 530);
  assert.is((await ftpError(session(async () => {}, "anonymous", "guest@"))).code, 530);
  const active = await session((client) => ftpError(client.send("PORT 127,0,0,1,200,10")));
  assert.is(active.code, 502);
});

test("PASV hoarding: each PASV closes the previous data listener, so a session holds one port", async () => {
  const session = await rawControl(gateway.port);
  await rawLogin(session);
  const ports: number[] = [];
  for (let index = 0; index < 5; index++) {
    const reply = await session.send("PASV");
    const [, high, low] = /,(\d+),(\d+)\)/.exec(reply)!;
    ports.push(Number(high) * 256 + Number(low));
  }
  const reachable = await Promise.all(
    ports.map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const probe = createConnection({ host: "127.0.0.1", port });
          probe.once("connect", () => {
            probe.destroy();
            resolve(true);
          });
          probe.once("error", () => resolve(false));
        }),
    ),
  );
  assert.equal(reachable, [false, false, false, false, true]);
  session.socket.destroy();
});

test("the reply file is the bytes the gateway answered", async () => {
  const reply = await session(async (client) => {
    await client.cd("/v1/shelves/4/books");
    await client.uploadFrom(Readable.from([Buffer.from("<Book><author>xml upload</author></Book>")]), "new.xml");
    return download(client, "new.xml");
  });
  assert.match(reply, "<Book><name>shelves/4/books/new</name><author>xml upload</author>");
});

test.run();
