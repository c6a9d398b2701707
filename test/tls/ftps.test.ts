import { test } from "uvu";
import * as assert from "uvu/assert";
import { Readable, Writable } from "node:stream";
import { TLSSocket } from "node:tls";
import { Client, FTPError } from "basic-ftp";
import { createGateway, options, valueBody, type FilterFactory, type Gateway } from "../../src/index.js";
import { echoEndpoint } from "../helpers/echo-endpoint.js";
import { makePki, type TestPki } from "../helpers/test-certificates.js";

/** Explicit FTPS (AUTH TLS, then PROT P data connections) driven by basic-ftp with `secure: true`. */
const peerTlsFilter: FilterFactory<unknown> = {
  name: "peer-tls",
  description: "answers with request.peer.tls",
  optionsSchema: options.object({}),
  create: () => () => async (request) => ({ status: 200, headers: {}, body: valueBody({ scheme: request.peer.scheme, protocol: request.peer.tls?.protocol ?? null }) }),
};

let pki: TestPki;
let gateway: Gateway;
let port: number;

test.before(async () => {
  pki = makePki();
  const { plugins } = echoEndpoint();
  plugins.filters.register(peerTlsFilter.name, peerTlsFilter);
  gateway = await createGateway(
    {
      listeners: [
        {
          name: "ftps",
          protocol: "ftp",
          host: "127.0.0.1",
          port: 0,
          users: { alice: "s3cret" },
          passivePortMin: 51_400,
          passivePortMax: 51_460,
          tls: { cert: "server.pem", key: "server-key.pem" },
        },
      ],
      services: { echo: { protocol: "echo" } },
      routes: [
        { id: "peer", match: { path: "/peer" }, filters: ["peer-tls"], upstream: { service: "echo" } },
        { id: "echo", match: { path: "/echo/**" }, upstream: { service: "echo" } },
      ],
    },
    { plugins, baseDirectory: pki.dir },
  );
  await gateway.listen();
  port = gateway.listeners[0]!.address().port;
});

test.after(async () => {
  await gateway?.stop(500);
  pki?.remove();
});

async function secureSession<T>(script: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(10_000);
  try {
    await client.access({ host: "127.0.0.1", port, user: "alice", password: "s3cret", secure: true, secureOptions: { ca: pki.read("ca.pem"), servername: "localhost" } });
    return await script(client);
  } finally {
    client.close();
  }
}

test("FTPS: AUTH TLS, login, RETR over a TLS data connection; the request's Peer says https", async () => {
  const { text, dataOverTls, controlOverTls } = await secureSession(async (client) => {
    const chunks: Buffer[] = [];
    let dataOverTls = false;
    await client.downloadTo(
      new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          dataOverTls ||= client.ftp.dataSocket instanceof TLSSocket;
          chunks.push(chunk);
          callback();
        },
      }),
      "/peer.json",
    );
    return { text: Buffer.concat(chunks).toString("utf8"), dataOverTls, controlOverTls: client.ftp.socket instanceof TLSSocket };
  });
  assert.ok(controlOverTls, "the control connection is TLS after AUTH TLS");
  assert.ok(dataOverTls, "the data connection is TLS (PROT P)");
  assert.equal(JSON.parse(text), { scheme: "https", protocol: "TLSv1.3" });
});

test("FTPS: STOR posts the file over a TLS data connection", async () => {
  const reply = await secureSession(async (client) => {
    await client.uploadFrom(Readable.from([Buffer.from('{"title":"Dune"}')]), "/echo/books/new.json");
    const chunks: Buffer[] = [];
    await client.downloadTo(
      new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          chunks.push(chunk);
          callback();
        },
      }),
      "/echo/books/new.json",
    );
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  });
  assert.is(reply.method, "POST");
  assert.is(reply.path, "/echo/books");
  assert.is(reply.body, '{"title":"Dune"}');
});

test("FTPS: a login in clear text (no AUTH TLS) is refused with 530", async () => {
  const client = new Client(10_000);
  try {
    const error = await client.access({ host: "127.0.0.1", port, user: "alice", password: "s3cret" }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.instance(error, FTPError);
    assert.is((error as FTPError).code, 530);
    assert.match((error as FTPError).message, /AUTH TLS/);
  } finally {
    client.close();
  }
});

test.run();
