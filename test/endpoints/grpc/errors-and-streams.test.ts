import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Readable } from "node:stream";
import { request } from "undici";
import { ConfigError } from "../../../src/options/error-codes.js";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { waitFor } from "../../helpers/wait.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";

const grpc = suite<{ server: TestGrpcServer; gateway: TestGateway }>("gRPC transcoding: errors, deadlines, streams");

grpc.before(async (context) => {
  context.server = await startLibraryServer();
  context.gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: {
      library: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/library.proto"], timeout: "3s", rejectUnknownQueryParameters: true },
    },
    routes: [
      { id: "as-array", match: { path: "/array/{parent=shelves/*}", methods: ["GET"] }, upstream: { service: "library", method: "rosetta.test.v1.Library/StreamBooks", streamFormat: "array" } },
    ],
  });
});

grpc.after(async ({ server, gateway }) => {
  await gateway.stop();
  await server.close();
});

async function call(gateway: TestGateway, path: string, init: Parameters<typeof request>[1] = {}) {
  const response = await request(`${gateway.url}${path}`, init);
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

const mapping: Array<[number, string, number]> = [
  [1, "CANCELLED", 499],
  [2, "UNKNOWN", 500],
  [3, "INVALID_ARGUMENT", 400],
  [4, "DEADLINE_EXCEEDED", 504],
  [5, "NOT_FOUND", 404],
  [6, "ALREADY_EXISTS", 409],
  [7, "PERMISSION_DENIED", 403],
  [8, "RESOURCE_EXHAUSTED", 429],
  [9, "FAILED_PRECONDITION", 400],
  [10, "ABORTED", 409],
  [11, "OUT_OF_RANGE", 400],
  [12, "UNIMPLEMENTED", 501],
  [13, "INTERNAL", 500],
  [14, "UNAVAILABLE", 503],
  [15, "DATA_LOSS", 500],
  [16, "UNAUTHENTICATED", 401],
];

for (const [code, name, status] of mapping) {
  grpc(`upstream ${name} → HTTP ${status} with google.rpc.Status`, async ({ gateway }) => {
    const response = await call(gateway, `/v1/fail/${code}?message=${name}`);
    assert.is(response.status, status);
    const body = JSON.parse(response.text);
    assert.is(body.code, code);
    assert.is(body.message, name);
    if (code === 16) assert.is(response.headers["www-authenticate"], 'Bearer realm="library"');
    if (code === 3) {
      assert.equal(body.details, [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "name", description: "must not be empty" }] }]);
    }
  });
}

grpc("malformed values are 400 naming the field; unknown query parameters are refused when configured", async ({ gateway }) => {
  const badQuery = await call(gateway, "/v1/shelves/1/books?pageSize=ten");
  assert.is(badQuery.status, 400);
  assert.match(JSON.parse(badQuery.text).message, /pageSize.*not an integer/);
  const twice = await call(gateway, "/v1/shelves/1/books?pageSize=1&pageSize=2");
  assert.is(twice.status, 400);
  assert.match(JSON.parse(twice.text).message, /given 2 times/);
  const unknown = await call(gateway, "/v1/shelves/1/books?colour=red");
  assert.is(unknown.status, 400);
  assert.match(JSON.parse(unknown.text).message, /unknown query parameter "colour"/);
  const badPath = await call(gateway, "/v1/shelves/not-a-number");
  assert.is(badPath.status, 400);
  const badBody = await call(gateway, "/v1/shelves/1/books", { method: "POST", headers: { "content-type": "application/json" }, body: '{"page_count":"many"}' });
  assert.is(badBody.status, 400);
  assert.match(JSON.parse(badBody.text).message, /book\.page_count: "many" is not an integer \(int64\)/);
  const tooBig = await call(gateway, "/v1/shelves/99999999999999999999");
  assert.is(tooBig.status, 400);
  assert.match(JSON.parse(tooBig.text).message, /out of range for int64/);
});

grpc("grpc-timeout from the caller becomes the deadline → 504, and the upstream call is cancelled", async ({ gateway, server }) => {
  const started = Date.now();
  const response = await call(gateway, "/v1/slow/2000", { headers: { "grpc-timeout": "150m" } });
  assert.is(response.status, 504);
  assert.is(JSON.parse(response.text).code, 4);
  assert.ok(Date.now() - started < 1500, `took ${Date.now() - started}ms`);
  const last = server.calls.filter((received) => received.method === "Slow").at(-1)!;
  assert.ok(last.deadline !== undefined && last.deadline - started < 1000, "the upstream saw the shortened deadline");
});

grpc("every call carries a deadline (the service's timeout by default)", async ({ gateway, server }) => {
  const started = Date.now();
  await call(gateway, "/v1/shelves/5");
  const last = server.calls.at(-1)!;
  assert.ok(last.deadline !== undefined && last.deadline > started + 2000 && last.deadline <= started + 3500, `deadline ${last.deadline! - started}ms ahead`);
});

grpc("a caller that disconnects cancels the gRPC call", async ({ gateway, server }) => {
  const controller = new AbortController();
  const before = server.cancelled.length;
  const calls = server.calls.length;
  const pending = request(`${gateway.url}/v1/slow/5000`, { signal: controller.signal }).catch(() => undefined);
  await waitFor(() => server.calls.slice(calls).some((call) => call.method === "Slow"), "the upstream to receive the call");
  controller.abort();
  await pending;
  await waitFor(() => server.cancelled.length > before, "the upstream to see a cancellation", 2000);
});

grpc("server streaming: NDJSON by default, one {result} per line", async ({ gateway }) => {
  const response = await call(gateway, "/v1/shelves/4/books:stream?pageSize=3");
  assert.is(response.status, 200);
  assert.is(response.headers["content-type"], "application/x-ndjson");
  const lines = response.text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.equal(
    lines.map((line) => line.result.name),
    ["shelves/4/books/1", "shelves/4/books/2", "shelves/4/books/3"],
  );
});

grpc("server streaming: SSE when asked, JSON array as a route format", async ({ gateway }) => {
  const sse = await call(gateway, "/v1/shelves/4/books:stream?pageSize=2", { headers: { accept: "text/event-stream" } });
  assert.is(sse.headers["content-type"], "text/event-stream");
  const events = sse.text.split("\n\n").filter((event) => event !== "");
  assert.is(events.length, 2);
  assert.is(JSON.parse(events[0]!.replace(/^data: /, "")).name, "shelves/4/books/1");
});

grpc("server streaming as a JSON array (route format); a failure cuts the connection instead of closing the array", async ({ gateway }) => {
  const response = await call(gateway, "/array/shelves/5?pageSize=2");
  assert.is(response.headers["content-type"], "application/json");
  assert.equal(
    JSON.parse(response.text).map((book: { name: string }) => book.name),
    ["shelves/5/books/1", "shelves/5/books/2"],
  );
  const cut = await request(`${gateway.url}/array/shelves/5?pageSize=1&tags=fail-midway`);
  const outcome = await cut.body.text().then(
    (text) => `complete: ${text}`,
    () => "cut",
  );
  assert.is(outcome, "cut");
});

grpc("server streaming: a failure midway is an in-band error line, never a clean end", async ({ gateway }) => {
  const response = await call(gateway, "/v1/shelves/4/books:stream?pageSize=2&tags=fail-midway");
  const lines = response.text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.is(lines.length, 3);
  assert.equal(lines[2], { error: { code: 15, message: "shelf burned down", details: [] } });
  const sse = await call(gateway, "/v1/shelves/4/books:stream?pageSize=1&tags=fail-midway", { headers: { accept: "text/event-stream" } });
  assert.match(sse.text, /event: error\ndata: \{"code":15/);
});

grpc("a stream of google.api.HttpBody is one body with the first message's content type, each message's bytes followed by a newline", async ({ gateway }) => {
  const response = await call(gateway, "/v1/shelves/1/books/2:stream-download");
  assert.is(response.status, 200);
  assert.is(response.headers["content-type"], "text/csv");
  assert.is(response.text, "row 1\n\nrow 2\n\nrow 3\n\n");
});

grpc("client streaming: an NDJSON body feeds the stream, one message per line", async ({ gateway, server }) => {
  const body = Readable.from(['{"name":"a"}\n{"name":"b",', '"author":"x"}\n\n{"name":"c"}']);
  const response = await call(gateway, "/v1/books:collect", { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
  assert.is(response.status, 200, response.text);
  const result = JSON.parse(response.text);
  assert.equal(
    result.books.map((book: { name: string }) => book.name),
    ["a", "b", "c"],
  );
  assert.is(result.nextPageToken, "3");
  assert.equal(server.calls.at(-1)!.request, { books: [{ name: "a" }, { name: "b", author: "x" }, { name: "c" }] });
});

grpc("client streaming: a body that ends inside a value is 400 naming the value and its line", async ({ gateway }) => {
  const response = await call(gateway, "/v1/books:collect", { method: "POST", body: '{"name":"a"}\n{"name":\n' });
  assert.is(response.status, 400);
  assert.is(JSON.parse(response.text).message, "the request stream ends inside JSON value 2 (which starts at line 2, column 1)");
});

grpc("bidi streaming over HTTP: NDJSON in, NDJSON out", async ({ gateway }) => {
  const response = await call(gateway, "/v1/books:chat", { method: "POST", body: '{"name":"one"}\n{"name":"two"}\n' });
  const lines = response.text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line).result.name);
  assert.equal(lines, ["echo:one", "echo:two"]);
});

grpc("an unreachable upstream → 503 UNAVAILABLE", async () => {
  const gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: { library: { protocol: "grpc", targets: ["127.0.0.1:1"], protos: ["rosetta/test/v1/library.proto"], timeout: "2s" } },
  });
  try {
    const response = await call(gateway, "/v1/shelves/1");
    assert.is(response.status, 503);
    assert.is(JSON.parse(response.text).code, 14);
  } finally {
    await gateway.stop();
  }
});

grpc("config: an unknown method, body field or path variable is a start-up error with its path", async ({ server }) => {
  try {
    await startGateway({
      protos: { include: ["test/protos"] },
      services: { library: { protocol: "grpc", targets: [server.target], protos: ["rosetta/test/v1/library.proto"] } },
      routes: [
        { id: "typo", match: { path: "/x/{shelf}" }, upstream: { service: "library", method: "rosetta.test.v1.Library/GetShelff" } },
        { id: "bad-var", match: { path: "/y/{shelve}" }, upstream: { service: "library", method: "rosetta.test.v1.Library/GetShelf" } },
      ],
    });
    assert.unreachable("the gateway started");
  } catch (error) {
    assert.instance(error, ConfigError);
    const problems = (error as ConfigError).problems;
    assert.ok(
      problems.some((problem) => problem.path === "routes[0].upstream.method" && /did you mean "rosetta\.test\.v1\.Library\/GetShelf"/.test(problem.message)),
      JSON.stringify(problems),
    );
    assert.ok(
      problems.some((problem) => problem.path === "routes[1].match.path" && /\{shelve\}/.test(problem.message)),
      JSON.stringify(problems),
    );
  }
});

grpc.run();
