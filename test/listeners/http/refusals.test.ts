import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";
import { rawRequest } from "../../helpers/raw-http.js";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";

/**
 * Refusals the caller must read: a 413 (the listener's limit, or a route's
 * limit found while reading) arrives as a 413, never a connection reset,
 * never after a `100 Continue`; and nothing pipelined after a refused
 * request reaches an upstream.
 */
let grpc: TestGrpcServer;
let upstream: TestUpstream;
let transcoding: TestGateway;
let proxy: TestGateway;

test.before(async () => {
  grpc = await startLibraryServer();
  upstream = await startUpstream();
  transcoding = await startGateway({
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: [grpc.target], protos: ["rosetta/test/v1/library.proto"], soap: { path: "/soap" } } },
  });
  proxy = await startGateway({
    listeners: [{ name: "web", protocol: "http", host: "127.0.0.1", port: 0, maxHeaderCount: 20, maxBodyBytes: "1MiB" }],
    services: { echo: { protocol: "http", targets: [upstream.origin] } },
    routes: [{ id: "all", upstream: { service: "echo" } }],
  });
});

test.after(async () => {
  await Promise.all([transcoding.stop(), proxy.stop()]);
  await Promise.all([grpc.close(), upstream.close()]);
});

/** A JSON document of `size` bytes. */
const json = (size: number) => Buffer.from(`{"name":"${"a".repeat(size - 11)}"}`);

interface CurlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** curl, the real client of the report, with the body on stdin. */
async function curl(url: string, body: Buffer, headers: readonly string[], contentType = "application/json"): Promise<CurlResult> {
  const args = ["-sS", "-v", "--max-time", "20", "--data-binary", "@-", "-H", `content-type: ${contentType}`, ...headers.flatMap((header) => ["-H", header]), url];
  const child = spawn("curl", args, { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.on("error", () => {});
  child.stdin.end(body);
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

function assertRefusedCleanly(result: CurlResult, limit: number, what: string): void {
  assert.not.match(result.stderr, /reset|Recv failure|Send failure/i, `${what}: ${result.stderr.slice(-300)}`);
  assert.is(result.code, 0, `${what}: curl exited ${result.code}: ${result.stderr.slice(-300)}`);
  assert.match(result.stderr, "< HTTP/1.1 413", `${what}: ${result.stderr.slice(-600)}`);
  assert.not.match(result.stderr, "< HTTP/1.1 100", `${what}: 100 Continue was sent for a refused request`);
  assert.equal(JSON.parse(result.stdout), { code: 8, message: `body exceeds the limit of ${limit} bytes`, details: [] }, what);
}

const expectations = [
  ["no Expect", "Expect:"],
  ["Expect: 100-continue", "Expect: 100-continue"],
] as const;

test("curl: an 8 MiB JSON body over the route's limit (a gRPC route) gets the 413, not a reset", async () => {
  for (const [name, header] of expectations) {
    const result = await curl(`${transcoding.url}/v1/shelves/1/books`, json(8 * 1024 * 1024), [header]);
    assertRefusedCleanly(result, 4 * 1024 * 1024, name);
  }
});

test("curl: a 2 MiB XML body over codecs.xml.maxBytes gets the 413 before it is read: no 100 Continue, no reset", async () => {
  const xml = Buffer.from(`<book><name>${"a".repeat(2 * 1024 * 1024)}</name></book>`);
  for (const [name, header] of expectations) {
    const result = await curl(`${transcoding.url}/v1/shelves/1/books`, xml, [header, "accept: application/json"], "application/xml");
    assertRefusedCleanly(result, 1024 * 1024, name);
  }
});

test("curl: a 2 MiB SOAP envelope over codecs.xml.maxBytes gets its Fault before it is read: no 100 Continue, no reset", async () => {
  const envelope = Buffer.from(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetShelf><name>${"a".repeat(2 * 1024 * 1024)}</name></GetShelf></s:Body></s:Envelope>`);
  for (const [name, header] of expectations) {
    const result = await curl(`${transcoding.url}/soap/rosetta.test.v1.Library`, envelope, [header, 'SOAPAction: ""'], "text/xml");
    assert.not.match(result.stderr, /reset|Recv failure|Send failure/i, `${name}: ${result.stderr.slice(-300)}`);
    assert.is(result.code, 0, `${name}: curl exited ${result.code}`);
    assert.not.match(result.stderr, "< HTTP/1.1 100", `${name}: 100 Continue was sent for a refused request`);
    assert.match(result.stdout, "<faultcode>", name);
    assert.match(result.stdout, `body exceeds the limit of ${1024 * 1024} bytes`, name);
  }
});

test("curl: a chunked 8 MiB JSON body over the route's limit gets the 413 once the limit is read, not a reset", async () => {
  const result = await curl(`${transcoding.url}/v1/shelves/1/books`, json(8 * 1024 * 1024), ["transfer-encoding: chunked", "Expect:"]);
  assertRefusedCleanly(result, 4 * 1024 * 1024, "chunked");
});

test("curl: a body over the listener's maxBodyBytes gets the 413, not a reset, and no 100 Continue", async () => {
  for (const [name, header] of expectations) {
    const result = await curl(`${proxy.url}/upload`, json(2 * 1024 * 1024), [header]);
    assertRefusedCleanly(result, 1024 * 1024, name);
  }
});

/** Writes `body` after `head` as fast as the socket takes it, whatever the server says, and collects what it answers. */
async function keepWriting(port: number, head: string, body: Buffer): Promise<{ text: string; error: string | undefined }> {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  let error: string | undefined;
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  socket.on("error", (reason: Error) => (error = reason.message));
  // once() rejects on 'error' (EPIPE once the gateway closed): the close that follows is what counts.
  const closed = new Promise((resolve) => socket.once("close", resolve));
  await once(socket, "connect");
  socket.write(head);
  for (let offset = 0; offset < body.byteLength && socket.writable; offset += 65_536) {
    if (!socket.write(body.subarray(offset, offset + 65_536))) await Promise.race([once(socket, "drain").catch(() => {}), closed]);
  }
  socket.end();
  const timer = setTimeout(() => socket.destroy(), 10_000);
  await closed;
  clearTimeout(timer);
  return { text, error };
}

function assertWhole413(result: { text: string; error: string | undefined }, what: string): void {
  const { text } = result;
  assert.match(text, /^HTTP\/1\.1 413/, `${what}: ${result.error ?? ""} ${JSON.stringify(text.slice(0, 100))}`);
  const end = text.indexOf("\r\n\r\n");
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, end))?.[1]);
  assert.is(text.length - end - 4, length, `${what}: the whole 413 body was read`);
  assert.match(text.slice(end + 4), "exceeds the limit of");
}

test("a raw caller that keeps writing after the 413 still reads the whole 413", async () => {
  const body = json(8 * 1024 * 1024);
  const declared = await keepWriting(transcoding.port, `POST /v1/shelves/1/books HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: ${body.byteLength}\r\n\r\n`, body);
  assertWhole413(declared, "by Content-Length on the route's limit");
  const listener = await keepWriting(proxy.port, `POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: ${body.byteLength}\r\n\r\n`, body);
  assertWhole413(listener, "by Content-Length on the listener's limit");
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < body.byteLength; offset += 65_536) {
    const part = body.subarray(offset, offset + 65_536);
    chunks.push(Buffer.from(`${part.byteLength.toString(16)}\r\n`), part, Buffer.from("\r\n"));
  }
  const chunked = await keepWriting(transcoding.port, "POST /v1/shelves/1/books HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n", Buffer.concat(chunks));
  assertWhole413(chunked, "chunked, found while reading");
});

test("a raw caller that keeps sending header bytes after the 431 still reads the whole 431", async () => {
  const result = await keepWriting(proxy.port, "GET /x HTTP/1.1\r\nhost: a\r\nx-big: ", Buffer.alloc(4 * 1024 * 1024, 0x62));
  assert.match(result.text, /^HTTP\/1\.1 431/, `${result.error ?? ""} ${JSON.stringify(result.text.slice(0, 100))}`);
  const end = result.text.indexOf("\r\n\r\n");
  assert.equal(JSON.parse(result.text.slice(end + 4)), { code: 8, message: "request headers exceed 16384 bytes", details: [] });
});

test("a large body the route never reads (no route: 404) closes the connection after the answer instead of reading it all", async () => {
  const body = json(8 * 1024 * 1024);
  const result = await keepWriting(transcoding.port, `POST /nowhere HTTP/1.1\r\nhost: a\r\ncontent-length: ${body.byteLength}\r\n\r\n`, body);
  assert.match(result.text, /^HTTP\/1\.1 404/);
  assert.match(result.text, /\r\nconnection: close\r\n/i);
});

const pipelined: [string, string][] = [
  ["two Host headers", "GET /refused HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n"],
  ["an absolute-form target", "GET http://169.254.169.254/latest HTTP/1.1\r\nhost: a\r\n\r\n"],
  ["too many headers", `GET /refused HTTP/1.1\r\nhost: a\r\n${Array.from({ length: 25 }, (_, index) => `x-h${index}: 1\r\n`).join("")}\r\n`],
  ["a body over maxBodyBytes (sent whole)", `POST /refused HTTP/1.1\r\nhost: a\r\ncontent-length: 1048577\r\n\r\n${"a".repeat(1_048_577)}`],
];

for (const [name, refused] of pipelined) {
  test(`a request pipelined after one refused for ${name} never reaches the upstream`, async () => {
    const before = upstream.received.length;
    const response = await rawRequest(proxy.port, `${refused}GET /other HTTP/1.1\r\nhost: a\r\n\r\n`, 5000);
    assert.ok(response.status === 400 || response.status === 413 || response.status === 431, `status ${response.status}`);
    assert.is(response.headers.connection, "close");
    // Another caller's round trip through the same upstream: the pipelined one would have arrived by then.
    const after = await request(`${proxy.url}/after`);
    assert.is(after.statusCode, 200);
    await after.body.text();
    assert.equal(
      upstream.received.slice(before).map((received) => received.url),
      ["/after"],
    );
  });
}

test.run();
