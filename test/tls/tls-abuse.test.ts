import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createConnection, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { startGatewayProcess, type GatewayProcess } from "../listeners/frames/gateway-process.js";
import { makePki, type TestPki } from "../helpers/test-certificates.js";
import { startUpstream, type TestUpstream } from "../helpers/upstream.js";

/**
 * TLS handshake abuse against a gateway in a child process: garbage instead
 * of a ClientHello, a record header promising 16 MiB, silence, and resets at
 * each step of a real handshake (after the ClientHello, after the server's
 * first flight), on every TLS listener kind. The process must live and the
 * next caller must be served.
 */
let pki: TestPki;
let upstream: TestUpstream;
let gateway: GatewayProcess;
const repeat = 15;

test.before(async () => {
  pki = makePki();
  upstream = await startUpstream();
  const tls = { cert: `${pki.dir}/server.pem`, key: `${pki.dir}/server-key.pem`, ca: `${pki.dir}/ca.pem`, clientCertificate: "request", handshakeTimeout: "2s" };
  gateway = await startGatewayProcess({
    listeners: [
      { name: "https", protocol: "http", host: "127.0.0.1", port: 0, tls, websocket: { path: "/frames" } },
      { name: "mtls", protocol: "http", host: "127.0.0.1", port: 0, tls: { ...tls, clientCertificate: "require" } },
      { name: "wss", protocol: "ws", host: "127.0.0.1", port: 0, tls },
      { name: "tcps", protocol: "tcp", host: "127.0.0.1", port: 0, tls },
      { name: "ftps", protocol: "ftp", host: "127.0.0.1", port: 0, users: { alice: "s3cret" }, passivePortMin: 51_500, passivePortMax: 51_540, tls: { ...tls, clientCertificate: "none" } },
    ],
    services: { echo: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "echo", match: { path: "/echo" }, upstream: { service: "echo" } }],
  });
});

test.after(async () => {
  await gateway?.stop();
  await upstream?.close();
  pki?.remove();
});

/** Opens a raw socket; resolves once it is closed by either side (bounded: destroyed after 5 s). */
async function rawSession(port: number, act: (socket: Socket) => void): Promise<void> {
  const socket = createConnection({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  const closed = once(socket, "close");
  await once(socket, "connect");
  act(socket);
  const timer = setTimeout(() => socket.destroy(), 5000);
  await closed;
  clearTimeout(timer);
}

/** A real TLS client whose raw socket is reset right after its ClientHello (`after` 0) or after the server's first flight (1). */
async function resetMidHandshake(port: number, after: number, ftp = false): Promise<void> {
  await rawSession(port, (socket) => {
    const start = () => {
      const client = tlsConnect({ socket, servername: "localhost", rejectUnauthorized: false });
      client.on("error", () => {});
      if (after === 0) setImmediate(() => socket.resetAndDestroy());
      // keylog: the client has the server's first flight and is deriving keys, the handshake is not done.
      if (after > 0) client.once("keylog", () => socket.resetAndDestroy());
    };
    if (!ftp) return start();
    // FTP: the greeting, then AUTH TLS, then the handshake.
    socket.once("data", () => {
      socket.write("AUTH TLS\r\n");
      socket.once("data", start);
    });
  });
}

const abuses: Record<string, (port: number, ftp: boolean) => Promise<void>> = {
  "garbage instead of a ClientHello": (port, ftp) =>
    rawSession(port, (socket) => {
      if (!ftp) return void socket.write(randomBytes(4096));
      socket.once("data", () => {
        socket.write("AUTH TLS\r\n");
        socket.once("data", () => socket.write(randomBytes(4096)));
      });
    }),
  "a record header promising 16 MiB, then a reset": (port, ftp) =>
    rawSession(port, (socket) => {
      const header = Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff]);
      const send = () => {
        socket.write(header);
        setTimeout(() => socket.resetAndDestroy(), 20);
      };
      if (!ftp) return send();
      socket.once("data", () => {
        socket.write("AUTH TLS\r\n");
        socket.once("data", send);
      });
    }),
  "a reset right after the ClientHello": (port, ftp) => resetMidHandshake(port, 0, ftp),
  "a reset after the server's first flight": (port, ftp) => resetMidHandshake(port, 1, ftp),
  "connect, say nothing, reset": (port) => rawSession(port, (socket) => setTimeout(() => socket.resetAndDestroy(), 20)),
};

async function servedOverTls(port: number): Promise<number> {
  const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ca: pki.read("ca.pem"), cert: pki.read("alice.pem"), key: pki.read("alice-key.pem") });
  socket.on("error", () => {});
  await once(socket, "secureConnect");
  socket.write("GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
  await once(socket, "close");
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

for (const listener of ["https", "mtls", "wss", "tcps", "ftps"]) {
  test(`${listener}: TLS handshake abuse never crashes the process`, async () => {
    const port = gateway.ports[listener]!;
    for (const [name, abuse] of Object.entries(abuses)) {
      await Promise.all(Array.from({ length: repeat }, () => abuse(port, listener === "ftps")));
      assert.is(gateway.exited(), null, `the gateway died after "${name}" on ${listener}: ${gateway.stderr()}`);
    }
  });
}

test("a caller that stalls mid-handshake is closed after handshakeTimeout (node:tls alone would keep it open)", async () => {
  for (const listener of ["https", "wss", "tcps", "ftps"]) {
    const socket = createConnection({ host: "127.0.0.1", port: gateway.ports[listener]! });
    socket.on("error", () => {});
    await once(socket, "connect");
    const started = Date.now();
    const closed = once(socket, "close");
    const stall = () => socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    if (listener === "ftps") {
      socket.once("data", () => {
        socket.write("AUTH TLS\r\n");
        socket.once("data", stall);
      });
    } else {
      stall();
    }
    const timer = setTimeout(() => socket.destroy(new Error("still open")), 8000);
    await closed;
    clearTimeout(timer);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 7500, `${listener}: the stalled handshake was still open after ${elapsed} ms`);
  }
});

test("after all of it, callers are served over TLS", async () => {
  assert.is(await servedOverTls(gateway.ports.https!), 200);
  assert.is(await servedOverTls(gateway.ports.mtls!), 200);
  const socket = tlsConnect({ host: "127.0.0.1", port: gateway.ports.tcps!, servername: "localhost", ca: pki.read("ca.pem") });
  await once(socket, "secureConnect");
  socket.write(`${JSON.stringify({ id: "1", method: "GET", path: "/echo" })}\n`);
  const [chunk] = (await once(socket, "data")) as [Buffer];
  socket.destroy();
  assert.is(JSON.parse(chunk.toString()).status, 200);
  assert.is(gateway.exited(), null, gateway.stderr());
});

test.run();
