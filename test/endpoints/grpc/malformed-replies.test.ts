/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Stream } from "node:http2";
import { Metadata, Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { request } from "undici";
import { serviceDefinition } from "../../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../../src/protos/proto-registry.js";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";

const transports = ["http2", "node-http2", "grpc-js"] as const;

/** A real grpc-js Bookstore on 127.0.0.1:0 with the given handlers. */
async function bookstore(implementation: UntypedServiceImplementation): Promise<{ target: string; close(): Promise<void> }> {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return { target: `127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

/** A bare node:http2 server that answers every call as `answer` says: gRPC framing written by hand, to break it on purpose. */
async function rawGrpc(answer: (stream: ServerHttp2Stream) => void): Promise<{ target: string; close(): Promise<void> }> {
  const server: Http2Server = createHttp2Server();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    stream.resume();
    answer(stream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    target: `127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function grpcGateway(target: string, transport: string, extra: Record<string, unknown> = {}): Promise<TestGateway> {
  return startGateway({ services: { store: { protocol: "grpc", targets: [target], protos: ["rosetta/demo/v1/bookstore.proto"], unaryTransport: transport, timeout: "3s", ...extra } } });
}

async function get(gateway: TestGateway, path: string) {
  const response = await request(`${gateway.url}${path}`);
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

function frame(payload: Buffer, flag = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(payload.byteLength, 1);
  return Buffer.concat([head, payload]);
}

for (const transport of transports) {
  test(`${transport}: a reply over maxReceiveMessageSize → 502 naming the limit (never 429)`, async () => {
    const upstream = await bookstore({
      GetShelf: (_call: any, callback: any) => callback(null, { id: "1", theme: "x".repeat(4000) }),
      WatchShelf: (call: any) => {
        call.write({ id: "1", title: "y".repeat(4000) });
        call.end();
      },
    });
    const gateway = await grpcGateway(upstream.target, transport, { maxReceiveMessageSize: "1KiB" });
    try {
      for (const path of ["/v1/shelves/1", "/v1/shelves/1:watch"]) {
        const answer = await get(gateway, path);
        assert.is(answer.status, 502, `${path}: ${answer.text}`);
        const body = JSON.parse(answer.text);
        assert.is(body.code, 13);
        assert.match(body.message, /^upstream "store" sent a malformed reply: a reply message of \d+ bytes is over maxReceiveMessageSize \(1024 bytes\)$/, path);
      }
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });

  test(`${transport}: only real response metadata is forwarded, never transport headers`, async () => {
    const upstream = await bookstore({
      GetShelf: (call: any, callback: any) => {
        const header = new Metadata();
        header.set("x-shelf-source", "archive");
        header.set("x-blob-bin", Buffer.from([1, 2, 3]));
        call.sendMetadata(header);
        const trailer = new Metadata();
        trailer.set("x-served-by", "shelf-7");
        callback(null, { id: "1", theme: "Poetry" }, trailer);
      },
      WatchShelf: (call: any) => {
        const header = new Metadata();
        header.set("x-watch-source", "live");
        call.sendMetadata(header);
        call.write({ id: "1", title: "One" });
        call.end();
      },
    });
    const gateway = await grpcGateway(upstream.target, transport);
    try {
      const unary = await get(gateway, "/v1/shelves/1");
      assert.is(unary.status, 200, unary.text);
      assert.is(unary.headers["grpc-metadata-x-shelf-source"], "archive");
      assert.is(unary.headers["grpc-metadata-x-blob-bin"], Buffer.from([1, 2, 3]).toString("base64"));
      assert.is(unary.headers["grpc-trailer-x-served-by"], "shelf-7");
      const stream = await get(gateway, "/v1/shelves/1:watch");
      assert.is(stream.status, 200, stream.text);
      assert.is(stream.headers["grpc-metadata-x-watch-source"], "live");
      for (const [name, headers] of [
        ["unary", unary.headers],
        ["stream", stream.headers],
      ] as const) {
        const leaked = Object.keys(headers).filter((key) => /^grpc-(metadata|trailer)-(content-type|date|te|user-agent|content-length|grpc-|:)/.test(key));
        assert.equal(leaked, [], `${name}: ${leaked.join(", ")}`);
      }
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
}

const shelf = Buffer.from([0x08, 0x01, 0x12, 0x06, ...Buffer.from("Poetry")]);

/** Replies that break the gRPC protocol, each with what the error must say; the same on both unary transports. */
const malformed: readonly { name: string; answer: (stream: ServerHttp2Stream) => void; message: RegExp }[] = [
  {
    name: "trailers without grpc-status",
    answer: (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-other": "1" }));
      stream.end(frame(shelf));
    },
    message: /no grpc-status/,
  },
  {
    name: "a body that ends without trailers",
    answer: (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.end(frame(shelf));
    },
    message: /grpc-status/,
  },
  {
    name: "grpc-status that is not a code",
    answer: (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "abc" }, { endStream: true });
    },
    message: /grpc-status .*is not a status code/,
  },
  {
    name: "a compressed frame though no grpc-encoding was negotiated",
    answer: (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(shelf, 1));
    },
    message: /compressed/, // grpc-js loses its own message here: "could not read (such as one compressed …)"
  },
  {
    name: "a length prefix past the end of the reply",
    answer: (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(shelf).subarray(0, 8));
    },
    message: /length prefix \(10 bytes\) runs past the end|no response message/,
  },
  {
    name: "a message that is not a Shelf",
    answer: (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      // Field 1 (id), a varint cut short.
      stream.end(frame(Buffer.from([0x08, 0xff])));
    },
    message: /rosetta\.demo\.v1\.Shelf message does not decode/,
  },
];

test("http2: a frame whose compressed flag is neither 0 nor 1 → 502 (grpc-js reads any flag but 1 as uncompressed)", async () => {
  const upstream = await rawGrpc((stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame(shelf, 2));
  });
  const gateway = await grpcGateway(upstream.target, "http2");
  try {
    const answer = await get(gateway, "/v1/shelves/1");
    assert.is(answer.status, 502, answer.text);
    assert.match(JSON.parse(answer.text).message, /compressed flag is 2/);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
});

for (const transport of transports) {
  for (const row of malformed) {
    test(`${transport}: a gRPC reply with ${row.name} → 502 INTERNAL naming the problem`, async () => {
      const upstream = await rawGrpc(row.answer);
      const gateway = await grpcGateway(upstream.target, transport);
      try {
        const answer = await get(gateway, "/v1/shelves/1");
        assert.is(answer.status, 502, answer.text);
        const body = JSON.parse(answer.text);
        assert.is(body.code, 13);
        assert.match(body.message, /^upstream "store" sent a malformed reply: /);
        assert.match(body.message, row.message, body.message);
      } finally {
        await gateway.stop();
        await upstream.close();
      }
    });
  }
}

test.run();
