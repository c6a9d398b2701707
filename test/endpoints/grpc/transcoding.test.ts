import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "undici";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startLibraryServer, type TestGrpcServer } from "../../helpers/grpc-server.js";

const transcoding = suite<{ server: TestGrpcServer; gateway: TestGateway }>("gRPC transcoding: REST requests → exact upstream messages → exact JSON");

transcoding.before(async (context) => {
  context.server = await startLibraryServer();
  context.gateway = await startGateway({
    protos: { include: ["test/protos"] },
    services: {
      library: {
        protocol: "grpc",
        targets: [context.server.target],
        protos: ["rosetta/test/v1/library.proto"],
        successStatus: { CreateBook: 201 },
        forwardHeaders: ["authorization", "x-request-id"],
      },
    },
    routes: [
      { id: "explicit-shelf", match: { path: "/api/shelves/{shelf}", methods: ["GET"] }, upstream: { service: "library", method: "rosetta.test.v1.Library/GetShelf" } },
      {
        id: "delete-no-content",
        match: { path: "/api/{name=shelves/*/books/*}", methods: ["DELETE"] },
        upstream: { service: "library", method: "rosetta.test.v1.Library/DeleteBook", successStatus: 204 },
      },
      {
        id: "proto-names",
        match: { path: "/api/raw/{name=shelves/*/books/*}", methods: ["GET"] },
        upstream: { service: "library", method: "rosetta.test.v1.Library/GetBook", json: { useProtoNames: true, enumsAsNumbers: true, emitUnpopulated: false } },
      },
    ],
  });
});

transcoding.after(async ({ server, gateway }) => {
  await gateway.stop();
  await server.close();
});

interface Row {
  readonly description: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly upstream: string;
  readonly request: Record<string, unknown>;
  readonly status: number;
  readonly response?: unknown;
}

const book2 = {
  name: "shelves/1/books/2",
  author: "Ursula K. Le Guin",
  genre: "GENRE_FICTION",
  published: "2023-11-14T22:13:20.005Z",
  tags: ["classic"],
  labels: { lang: "en" },
  cover: "cG5n",
  pageCount: "304",
  cents: "1299",
};

const rows: Row[] = [
  { description: "int64 path variable", method: "GET", path: "/v1/shelves/42", upstream: "GetShelf", request: { shelf: "42" }, status: 200, response: { id: "42", theme: "Poetry" } },
  {
    description: "every query form: repeated, enum by name, map[key], nested dotted, Timestamp, wrapper, FieldMask, bool, bytes, uint64 max, double, proto names",
    method: "GET",
    path: "/v1/shelves/1/books?pageSize=10&tags=a&tags=b&genre=GENRE_POETRY&labels[lang]=en&filter.author=Le%20Guin&filter.after=2020-01-01T00:00:00Z&filter.minPages=100&readMask=name,pageCount&include_archived=true&pageToken=AAE&minId=18446744073709551615&min_rating=4.5&unknownParam=ignored",
    upstream: "ListBooks",
    request: {
      parent: "shelves/1",
      page_size: 10,
      tags: ["a", "b"],
      genre: "GENRE_POETRY",
      labels: { lang: "en" },
      filter: { author: "Le Guin", after: { seconds: "1577836800" }, min_pages: { value: "100" } },
      read_mask: { paths: ["name", "page_count"] },
      include_archived: true,
      page_token: "AAE=",
      min_id: "18446744073709551615",
      min_rating: 4.5,
    },
    status: 200,
  },
  { description: "additional binding, enum by number", method: "GET", path: "/v1/books?genre=2", upstream: "ListBooks", request: { genre: "GENRE_POETRY" }, status: 200 },
  {
    description: "multi-segment variable; every field shape in the response",
    method: "GET",
    path: "/v1/shelves/1/books/2",
    upstream: "GetBook",
    request: { name: "shelves/1/books/2" },
    status: 200,
    response: book2,
  },
  {
    description: "body field + path + query; 201 declared for the method",
    method: "POST",
    path: "/v1/shelves/1/books?bookId=b9",
    body: JSON.stringify({ author: "N. K. Jemisin", page_count: 468, genre: "GENRE_FICTION", free: true }),
    upstream: "CreateBook",
    request: { parent: "shelves/1", book: { author: "N. K. Jemisin", page_count: "468", genre: "GENRE_FICTION", free: true }, book_id: "b9" },
    status: 201,
  },
  {
    description: "nested path variable into the body field; FieldMask from the query",
    method: "PATCH",
    path: "/v1/shelves/1/books/7?updateMask=author,pageCount",
    body: JSON.stringify({ author: "New" }),
    upstream: "UpdateBook",
    request: { book: { name: "shelves/1/books/7", author: "New" }, update_mask: { paths: ["author", "page_count"] } },
    status: 200,
  },
  { description: "DELETE returning Empty", method: "DELETE", path: "/v1/shelves/1/books/7", upstream: "DeleteBook", request: { name: "shelves/1/books/7" }, status: 200, response: {} },
  { description: "a route that declares 204", method: "DELETE", path: "/api/shelves/1/books/8", upstream: "DeleteBook", request: { name: "shelves/1/books/8" }, status: 204 },
  {
    description: "custom verb with body *; the path variable wins over the body",
    method: "POST",
    path: "/v1/shelves/1/books/7:archive",
    body: JSON.stringify({ reason: "worn out", name: "ignored" }),
    upstream: "ArchiveBook",
    request: { name: "shelves/1/books/7", reason: "worn out" },
    status: 200,
  },
  { description: "response_body", method: "GET", path: "/v1/shelves/1/books/2/author", upstream: "GetAuthor", request: { name: "shelves/1/books/2" }, status: 200, response: "Ursula K. Le Guin" },
  { description: "custom HTTP method (LOCK)", method: "LOCK", path: "/v1/shelves/9:lock", upstream: "Custom", request: { shelf: "9" }, status: 200, response: { id: "9", theme: "locked" } },
  {
    description: "unannotated method at POST /pkg.Service/Method",
    method: "POST",
    path: "/rosetta.test.v1.Library/Unannotated",
    body: '{"id":"5","theme":"x"}',
    upstream: "Unannotated",
    request: { id: "5", theme: "x" },
    status: 200,
    response: { id: "5", theme: "x!" },
  },
  {
    description: "an explicit route onto an annotated method",
    method: "GET",
    path: "/api/shelves/7",
    upstream: "GetShelf",
    request: { shelf: "7" },
    status: 200,
    response: { id: "7", theme: "Poetry" },
  },
  {
    description: "route JSON options: proto names, enum numbers, no unpopulated fields",
    method: "GET",
    path: "/api/raw/shelves/1/books/2",
    upstream: "GetBook",
    request: { name: "shelves/1/books/2" },
    status: 200,
    response: {
      name: "shelves/1/books/2",
      author: "Ursula K. Le Guin",
      genre: 1,
      published: "2023-11-14T22:13:20.005Z",
      tags: ["classic"],
      labels: { lang: "en" },
      cover: "cG5n",
      page_count: "304",
      cents: "1299",
    },
  },
];

for (const row of rows) {
  transcoding(row.description, async ({ gateway, server }) => {
    const before = server.calls.length;
    const response = await request(`${gateway.url}${row.path}`, {
      method: row.method as "GET",
      headers: { "content-type": "application/json", ...row.headers },
      ...(row.body === undefined ? {} : { body: row.body }),
    });
    const text = await response.body.text();
    assert.is(response.statusCode, row.status, text);
    const call = server.calls[before];
    assert.ok(call !== undefined, "the upstream received no call");
    assert.is(call!.method, row.upstream);
    assert.equal(call!.request, row.request);
    if (row.status === 204) assert.is(text, "");
    if (row.response !== undefined) assert.equal(JSON.parse(text), row.response);
  });
}

transcoding("header metadata → Grpc-Metadata-*, trailers → Grpc-Trailer-*", async ({ gateway }) => {
  const response = await request(`${gateway.url}/v1/shelves/1/books/2`);
  await response.body.dump();
  assert.is(response.headers["grpc-metadata-x-book-source"], "library");
  assert.is(response.headers["grpc-trailer-x-served-in"], "3ms");
});

transcoding("TE: trailers turns trailing metadata into real HTTP trailers", async ({ gateway }) => {
  const response = await request(`${gateway.url}/v1/shelves/1/books/2`, { headers: { te: "trailers" } });
  await response.body.text();
  assert.is(response.headers["grpc-trailer-x-served-in"], undefined);
  assert.is(response.trailers["grpc-trailer-x-served-in"], "3ms");
});

transcoding("request metadata: Grpc-Metadata-* and the allow-list, nothing else; -bin keys as bytes", async ({ gateway, server }) => {
  const before = server.calls.length;
  const response = await request(`${gateway.url}/v1/shelves/3`, {
    headers: { "grpc-metadata-x-tenant": "acme", authorization: "Bearer t0k3n", "x-not-forwarded": "secret", "grpc-metadata-trace-bin": Buffer.from([1, 2, 3]).toString("base64") },
  });
  await response.body.dump();
  const metadata = server.calls[before]!.metadata;
  assert.is(metadata["x-tenant"], "acme");
  assert.is(metadata.authorization, "Bearer t0k3n");
  assert.is(metadata["x-not-forwarded"], undefined);
  assert.equal([...(metadata["trace-bin"] as Buffer)], [1, 2, 3]);
});

transcoding("HttpBody: raw bytes out with their content type, raw bytes in as a body field", async ({ gateway, server }) => {
  const download = await request(`${gateway.url}/v1/shelves/1/books/2:download`);
  assert.is(download.headers["content-type"], "text/plain; charset=utf-8");
  assert.is(await download.body.text(), "contents of shelves/1/books/2");
  const before = server.calls.length;
  const upload = await request(`${gateway.url}/v1/uploads/report.csv`, { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b\n1,2\n" });
  assert.equal(await upload.body.json(), { name: "report.csv", size: "8", contentType: "text/csv" });
  assert.equal(server.calls[before]!.request, { name: "report.csv", file: { content_type: "text/csv", data: Buffer.from("a,b\n1,2\n").toString("base64") } });
});

transcoding.run();
