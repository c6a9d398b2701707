import { test } from "uvu";
import * as assert from "uvu/assert";
import { connect } from "node:net";
import { HttpResponseReader } from "../../src/bench/targets/http-response-reader.js";
import { countingServer } from "./bench-servers.js";

/** The bytes a real node:http server sends for `count` pipelined GETs. */
async function rawResponses(url: string, count: number, expectedEnd: string): Promise<Buffer> {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.write("GET /bench HTTP/1.1\r\nhost: x\r\n\r\n".repeat(count));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no full answer in 5 s")), 5000);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString("latin1");
      if (text.split(expectedEnd).length - 1 >= count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  socket.destroy();
  return Buffer.concat(chunks);
}

test("responses split at every byte: chunked (with a 1xx first) and Content-Length, statuses and byte counts", async () => {
  const chunked = await countingServer((_, response, count) => {
    response.writeContinue();
    response.statusCode = count === 2 ? 503 : 200;
    response.write("abc");
    response.end("defgh");
  });
  const sized = await countingServer((_, response) => response.end("0123456789"));
  try {
    for (const [bytes, what] of [
      [await rawResponses(chunked.url, 3, "0\r\n\r\n"), "chunked"],
      [await rawResponses(sized.url, 3, "0123456789"), "content-length"],
    ] as const) {
      const seen: Array<[number, number]> = [];
      const reader = new HttpResponseReader((status, count) => seen.push([status, count]));
      for (let index = 0; index < bytes.length; index++) assert.is(reader.feed(bytes.subarray(index, index + 1)), undefined, what);
      assert.is(seen.length, 3, what);
      assert.is(
        seen.reduce((sum, [, count]) => sum + count, 0),
        bytes.length,
        `${what}: every byte received is counted, interim 100s included`,
      );
      if (what === "chunked") {
        assert.match(bytes.toString("latin1"), /^HTTP\/1\.1 100 Continue/);
        assert.equal(
          seen.map(([status]) => status),
          [200, 503, 200],
        );
      }
      const whole: number[] = [];
      const again = new HttpResponseReader((status) => whole.push(status));
      again.feed(bytes);
      assert.is(whole.length, 3, `${what} in one read`);
    }
  } finally {
    await Promise.all([chunked.close(), sized.close()]);
  }
});

test("what is not an HTTP/1.x response is named, not thrown", () => {
  const reader = new HttpResponseReader(() => undefined);
  assert.is(reader.feed(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")), "not an HTTP/1.x response");
  const chunks = new HttpResponseReader(() => undefined);
  assert.is(chunks.feed(Buffer.from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n")), "a chunk size that is not hexadecimal");
});

test.run();
