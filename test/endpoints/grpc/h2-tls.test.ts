import { test } from "uvu";
import * as assert from "uvu/assert";
import { createSecureServer, type ServerHttp2Stream } from "node:http2";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import type { ClientTls } from "../../../src/tls/client-tls.js";
import { h2Call, h2Channel, failed, succeeded } from "../../helpers/h2-client.js";
import { grpcMessage } from "../../helpers/raw-h2-server.js";
import { makePki, type TestPki } from "../../helpers/test-certificates.js";

/** Rosetta's HTTP/2 client over TLS: ALPN h2, server verification by CA and name, client certificates (mTLS). */

let pki: TestPki;
test.before(() => {
  pki = makePki();
  pki.authority("other");
  pki.issue("alice", { client: true, cn: "alice" });
});
test.after(() => pki.remove());

function clientTls(ca: string, withCertificate: boolean): ClientTls {
  const caBytes = pki.read(`${ca}.pem`);
  const cert = withCertificate ? pki.read("alice.pem") : undefined;
  const key = withCertificate ? pki.read("alice-key.pem") : undefined;
  return { ca: caBytes, cert, key, serverName: undefined, rejectUnauthorized: true, connectOptions: { ca: caBytes, ...(cert === undefined ? {} : { cert, key }), rejectUnauthorized: true } };
}

test("mTLS: ALPN h2, the server verified as localhost by the CA, the client's certificate seen by the server", async () => {
  let peer = "";
  const server = createSecureServer({ cert: pki.read("server.pem"), key: pki.read("server-key.pem"), ca: pki.read("ca.pem"), requestCert: true, rejectUnauthorized: true, allowHTTP1: false });
  server.on("stream", (stream: ServerHttp2Stream) => {
    const socket = stream.session?.socket as TLSSocket | undefined;
    peer = String(socket?.getPeerCertificate().subject?.CN);
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(grpcMessage(Buffer.from("secure")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const target = `localhost:${(server.address() as AddressInfo).port}`;
  const good = h2Channel(target, {}, clientTls("ca", true));
  const wrongCa = h2Channel(target, {}, clientTls("other", true));
  try {
    assert.is(succeeded(await h2Call(good, "/t.S/Tls", Buffer.from("x"))).message.toString(), "secure");
    assert.is(peer, "alice");
    const status = failed(await h2Call(wrongCa, "/t.S/Tls", Buffer.from("x")));
    assert.is(status.code, 14);
    assert.match(status.details ?? "", /^No connection established to localhost:\d+: .*certificate/i);
  } finally {
    good.close();
    wrongCa.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("a TLS server that does not negotiate h2 by ALPN (an HTTP/1-only server): no connection established, naming ALPN", async () => {
  const server = createTlsServer({ cert: pki.read("server.pem"), key: pki.read("server-key.pem") }, (socket) => socket.on("error", () => {}));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const channel = h2Channel(`localhost:${(server.address() as AddressInfo).port}`, {}, clientTls("ca", false));
  try {
    const status = failed(await h2Call(channel, "/t.S/Tls", Buffer.from("x")));
    assert.is(status.code, 14);
    assert.match(status.details ?? "", /^No connection established to localhost:\d+: the upstream did not agree to HTTP\/2 in the TLS handshake \(ALPN false\)/, status.details);
  } finally {
    channel.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("a TLS server whose ALPN list lacks h2: the handshake's alert is the reason given", async () => {
  const server = createTlsServer({ cert: pki.read("server.pem"), key: pki.read("server-key.pem"), ALPNProtocols: ["http/1.1"] }, (socket) => socket.on("error", () => {}));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const channel = h2Channel(`localhost:${(server.address() as AddressInfo).port}`, {}, clientTls("ca", false));
  try {
    const status = failed(await h2Call(channel, "/t.S/Tls", Buffer.from("x")));
    assert.is(status.code, 14);
    assert.match(status.details ?? "", /^No connection established to localhost:\d+: .*no application protocol/, status.details);
  } finally {
    channel.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test.run();
